#!/usr/bin/python3
"""Formica from Python with Debian's python3-grpcio and python3-protobuf: Decide, Confirm, GetCreditLine, then a
refused Decide whose google.rpc.Status details are read from the grpc-status-details-bin trailer.
docs/api.md, "Other languages".

    /usr/bin/python3 check.py --target 127.0.0.1:50051 --borrower ID --stubs DIR

DIR holds the stubs that generate.sh writes (formica/v1/*_pb2.py, *_pb2_grpc.py and google/rpc/*_pb2.py).
Prints one line per step; exits 1 on anything unexpected.
"""
import argparse
import sys
import uuid

AMOUNT = 12345  # minor units: 123.45 CNY


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--borrower", required=True)
    parser.add_argument("--stubs", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    from formica.v1 import common_pb2, decision_pb2, decision_pb2_grpc
    from google.rpc import error_details_pb2, status_pb2

    def request_id():
        return "py-" + str(uuid.uuid4())

    with grpc.insecure_channel(args.target) as channel:
        stub = decision_pb2_grpc.DecisionServiceStub(channel)
        decided = stub.Decide(decision_pb2.DecisionRequest(
            request_id=request_id(), borrower_id=args.borrower, product=common_pb2.CONSUMER_CREDIT,
            amount_minor=AMOUNT, currency="CNY"), timeout=10)
        outcome = common_pb2.Outcome.Name(decided.outcome)
        print("decide %s hold=%s" % (outcome, decided.hold_id))
        if decided.outcome != common_pb2.APPROVE:
            sys.exit("expected APPROVE")
        confirmed = stub.Confirm(decision_pb2.ConfirmRequest(request_id=request_id(), hold_id=decided.hold_id),
                                 timeout=10)
        print("confirm drawn=%d" % confirmed.drawn_amount_minor)
        line = stub.GetCreditLine(decision_pb2.GetCreditLineRequest(
            borrower_id=args.borrower, product=common_pb2.CONSUMER_CREDIT), timeout=10)
        print("line drawn=%d available=%d currency=%s" % (line.drawn_minor, line.available_minor, line.currency))

        try:
            stub.Decide(decision_pb2.DecisionRequest(
                request_id=request_id(), borrower_id=args.borrower, product=common_pb2.CONSUMER_CREDIT,
                amount_minor=-AMOUNT, currency="CNY"), timeout=10)
            sys.exit("a negative amount was not refused")
        except grpc.RpcError as e:
            print("refused %s %s" % (e.code().name, e.details()))
            trailers = dict(e.trailing_metadata() or ())
            raw = trailers.get("grpc-status-details-bin")
            if not raw:
                print("details none (the server sent no google.rpc.Status details)")
                return
            status = status_pb2.Status.FromString(raw)
            for any_detail in status.details:
                info = error_details_pb2.ErrorInfo()
                bad = error_details_pb2.BadRequest()
                if any_detail.Unpack(info):
                    print("details ErrorInfo reason=%s domain=%s" % (info.reason, info.domain))
                elif any_detail.Unpack(bad):
                    for v in bad.field_violations:
                        print("details BadRequest field=%s" % v.field)
                else:
                    print("details %s" % any_detail.type_url.split("/")[-1])


if __name__ == "__main__":
    main()
