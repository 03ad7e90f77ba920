#!/usr/bin/python3
"""An outside tester's attack on Formica from the .proto files alone (issues 19 and 22): races on one request id,
request ids reused with another body, bad values in every field, one borrower's ids used with another's data, and
holds and repayments driven out of order. Every check compares the status (code, ErrorInfo reason, the field the
message and BadRequest name) with docs/api.md, and the borrowers' lines (GetCreditLine) with a model of what the
accepted calls did: a refused call must change nothing, an accepted one exactly what it says.

    /usr/bin/python3 adversary.py --target 127.0.0.1:50051 --stubs DIR [--prefix P] [--hold-ttl-ms MS]

DIR holds the stubs that generate.sh writes. The server must run the ledger-only rule set (every Decide within the
line approves: engine/src/test/resources/rules/ledger-only.yaml and regulatory/test-unlimited.yaml) in one market
(no `markets` setting, currency CNY). --prefix makes the borrower ids of this run (default: random), so a run
never meets an earlier run's state. --hold-ttl-ms is the server's holdTtl: with it the run also confirms and cancels
an expired hold (it waits, polling the line, until the hold's time has passed); 0 (the default) skips that check.
Stdlib and grpc only. Prints one line per check ("ok NAME" or "FAIL NAME: why"); exits 1 on anything unexpected.
"""
import argparse
import random
import sys
import threading
import time
import uuid

LINE = 1_000_000  # minor units
MAX_AMOUNT = 10 ** 13
THREADS = 8
RETRIES = 50  # of a shed call (RESOURCE_EXHAUSTED with RetryInfo), with the server's delay and jitter


class Refusal:
    """What a client can read from a refused call: status code, message, ErrorInfo reason, BadRequest fields."""

    def __init__(self, error, status_pb2, error_details_pb2):
        self.code = error.code().name
        self.message = error.details() or ""
        self.reason = None
        self.fields = []
        self.metadata = {}
        self.retry_ms = None
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        if raw:
            for any_detail in status_pb2.Status.FromString(raw).details:
                info = error_details_pb2.ErrorInfo()
                bad = error_details_pb2.BadRequest()
                retry = error_details_pb2.RetryInfo()
                if any_detail.Unpack(retry):
                    self.retry_ms = retry.retry_delay.seconds * 1000 + retry.retry_delay.nanos // 1_000_000
                elif any_detail.Unpack(info):
                    self.reason = info.reason
                    self.metadata = dict(info.metadata)
                elif any_detail.Unpack(bad):
                    self.fields = [v.field for v in bad.field_violations]

    def __repr__(self):
        return "%s %s fields=%s (%s)" % (self.code, self.reason, self.fields, self.message[:160])


class Adversary:
    def __init__(self, args):
        import grpc
        from formica.v1 import common_pb2, decision_pb2, decision_pb2_grpc, profile_pb2, profile_pb2_grpc
        from google.rpc import error_details_pb2, status_pb2
        self.grpc, self.c, self.d, self.p = grpc, common_pb2, decision_pb2, profile_pb2
        self.status_pb2, self.error_details_pb2 = status_pb2, error_details_pb2
        self.target = args.target
        self.prefix = args.prefix or "adv-" + uuid.uuid4().hex[:8]
        self.hold_ttl_ms = args.hold_ttl_ms
        self.channel = grpc.insecure_channel(self.target)
        self.decisions = decision_pb2_grpc.DecisionServiceStub(self.channel)
        self.profiles = profile_pb2_grpc.ProfileServiceStub(self.channel)
        self.failures = 0
        self.checks = 0
        self.retries = 0
        self.lock = threading.Lock()
        self.model = {}  # (borrower, product) -> [line, held, drawn]

    # ---- plumbing ------------------------------------------------------------------------------------------------

    def rid(self, tag="r"):
        return "%s-%s-%s" % (self.prefix, tag, uuid.uuid4().hex[:12])

    def call(self, method, request, stub=None):
        """(response, None) or (None, Refusal). Load shedding (RESOURCE_EXHAUSTED with a retry delay) is retried with
        the same request, as docs/api.md tells clients to, at most RETRIES times; the retries are counted."""
        stub = stub or self.decisions
        for attempt in range(RETRIES + 1):
            try:
                return getattr(stub, method)(request, timeout=10), None
            except self.grpc.RpcError as e:
                refusal = Refusal(e, self.status_pb2, self.error_details_pb2)
                if refusal.code != "RESOURCE_EXHAUSTED" or refusal.retry_ms is None or attempt == RETRIES:
                    return None, refusal
                with self.lock:
                    self.retries += 1
                time.sleep(refusal.retry_ms / 1000.0 * (1 + random.random()))

    def report(self, name, ok, why=""):
        self.checks += 1
        if ok:
            print("ok %s" % name)
        else:
            self.failures += 1
            print("FAIL %s: %s" % (name, why))
        sys.stdout.flush()
        return ok

    def line(self, borrower, product=None):
        product = product or self.c.CONSUMER_CREDIT
        got, err = self.call("GetCreditLine", self.d.GetCreditLineRequest(borrower_id=borrower, product=product))
        if err:
            raise RuntimeError("GetCreditLine %s: %r" % (borrower, err))
        return got

    def state(self, borrower, product=None):
        """What a refused call must leave unchanged: the line's numbers and its version."""
        ln = self.line(borrower, product)
        return (ln.line_minor, ln.held_minor, ln.drawn_minor, ln.available_minor, ln.frozen, ln.version)

    def borrower(self, tag, products=None):
        bid = "%s-%s" % (self.prefix, tag)
        products = products or [self.c.CONSUMER_CREDIT]
        profile = self.p.Profile(borrower_id=bid, region="CN-31",
                                 lines=[self.p.ProductLine(product=pr, line_minor=LINE) for pr in products])
        got, err = self.call("Upsert", self.p.UpsertProfileRequest(profile=profile), self.profiles)
        if err:
            raise RuntimeError("Upsert %s: %r" % (bid, err))
        for pr in products:
            self.model[(bid, pr)] = [LINE, 0, 0]
        return bid

    def check_model(self, name, borrower, product=None):
        product = product or self.c.CONSUMER_CREDIT
        line, held, drawn = self.model[(borrower, product)]
        got = self.line(borrower, product)
        actual = (got.line_minor, got.held_minor, got.drawn_minor, got.available_minor)
        want = (line, held, drawn, max(0, line - held - drawn))
        return self.report(name + " / line equals model", actual == want,
                           "line,held,drawn,available = %s, model %s" % (actual, want))

    def decide(self, borrower, amount, rid=None, product=None, **fields):
        req = self.d.DecisionRequest(request_id=self.rid("d") if rid is None else rid, borrower_id=borrower,
                                     product=product or self.c.CONSUMER_CREDIT, amount_minor=amount, **fields)
        return self.call("Decide", req)

    def approve(self, borrower, amount, product=None):
        """A hold that the model counts."""
        product = product or self.c.CONSUMER_CREDIT
        got, err = self.decide(borrower, amount, product=product)
        if err or got.outcome != self.c.APPROVE:
            raise RuntimeError("Decide %s %d: %r %r" % (borrower, amount, got, err))
        self.model[(borrower, product)][1] += amount
        return got.hold_id

    def confirm(self, hold, rid=None):
        return self.call("Confirm", self.d.ConfirmRequest(request_id=self.rid("c") if rid is None else rid, hold_id=hold))

    def cancel(self, hold, rid=None):
        return self.call("Cancel", self.d.CancelRequest(request_id=self.rid("x") if rid is None else rid, hold_id=hold))

    def repay(self, borrower, amount, rid=None, product=None, **fields):
        return self.call("Repay", self.d.RepayRequest(request_id=self.rid("p") if rid is None else rid, borrower_id=borrower,
                                                      product=product or self.c.CONSUMER_CREDIT,
                                                      amount_minor=amount, **fields))

    def expect_refusal(self, name, result, code, reason=None, field=None):
        """The call was refused with code (and reason, and the message and BadRequest naming field)."""
        got, err = result
        if err is None:
            return self.report(name, False, "accepted, expected %s %s: %s" % (code, reason or "",
                                                                              str(got).replace("\n", " ")[:200]))
        problems = []
        if err.code != code:
            problems.append("code %s" % err.code)
        if reason and err.reason != reason:
            problems.append("reason %s" % err.reason)
        if field:
            if not err.message.startswith(field):
                problems.append("message does not start with %s" % field)
            if code == "INVALID_ARGUMENT" and not any(f == field or f.startswith(field + "[")
                                                      for f in err.fields):
                problems.append("BadRequest does not name %s" % field)
        return self.report(name, not problems, "; ".join(problems) + " in %r" % err)

    def unchanged(self, name, borrower, attack, code="INVALID_ARGUMENT", reason="INVALID_FIELD", field=None,
                  product=None):
        """attack() is refused as expected and the line (numbers and version) did not move."""
        before = self.state(borrower, product)
        ok = self.expect_refusal(name, attack(), code, reason, field)
        after = self.state(borrower, product)
        self.report(name + " / no change", before == after, "line before %s after %s" % (before, after))
        return ok

    def race(self, fn, n=THREADS, targets=None):
        """fn(stub, i) from n threads at once, each on its own connection; the results in thread order."""
        import grpc
        from formica.v1 import decision_pb2_grpc
        results = [None] * n
        barrier = threading.Barrier(n)
        targets = targets or [self.target]
        channels = [grpc.insecure_channel(targets[i % len(targets)], options=[("grpc.use_local_subchannel_pool", 1)])
                    for i in range(n)]

        def run(i):
            stub = decision_pb2_grpc.DecisionServiceStub(channels[i])
            grpc.channel_ready_future(channels[i]).result(timeout=10)
            barrier.wait(timeout=20)
            try:
                results[i] = (stub, None)
                results[i] = fn(stub, i)
            except Exception as e:  # noqa: BLE001 - reported as the thread's result
                results[i] = (None, e)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for ch in channels:
            ch.close()
        return results

    def raced_call(self, method, request):
        return self.race(lambda stub, _i: self.call(method, request, stub))

    def one_answer(self, name, results, key):
        """Every racer got an answer, all the same (key of it), exactly one not replayed."""
        errors = [r[1] for r in results if r[1] is not None]
        if errors:
            return self.report(name, False, "refused or failed: %r" % errors[:3])
        answers = set(key(r[0]) for r in results)
        fresh = sum(1 for r in results if not r[0].replayed)
        return self.report(name, len(answers) == 1 and fresh == 1,
                           "%d different answers %s, %d not replayed" % (len(answers), sorted(answers)[:3], fresh))

    # ---- the attacks ---------------------------------------------------------------------------------------------

    def races(self):
        a = self.borrower("race")
        rid = self.rid("race-decide")
        results = self.raced_call("Decide", self.d.DecisionRequest(
            request_id=rid, borrower_id=a, product=self.c.CONSUMER_CREDIT, amount_minor=1000, currency="CNY"))
        if self.one_answer("race Decide one id x%d: one answer, one effect" % THREADS, results,
                           lambda r: (r.outcome, r.hold_id, r.approved_amount_minor)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] += 1000
        self.check_model("race Decide", a)
        hold = results[0][0].hold_id if results[0][0] else ""

        crid = self.rid("race-confirm")
        results = self.raced_call("Confirm", self.d.ConfirmRequest(request_id=crid, hold_id=hold))
        if self.one_answer("race Confirm one id x%d" % THREADS, results,
                           lambda r: (r.hold_id, r.drawn_amount_minor, r.line.drawn_minor, r.line.version)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 1000
            self.model[(a, self.c.CONSUMER_CREDIT)][2] += 1000
        self.check_model("race Confirm", a)

        # Confirm of one hold under many request ids at once: one confirms, the others see it confirmed
        hold2 = self.approve(a, 2000)
        results = self.race(lambda stub, i: self.raced_one(stub, "Confirm", self.d.ConfirmRequest(
            request_id=self.rid("race-confirm-n"), hold_id=hold2)))
        done = [r for r in results if r[1] is None]
        refused = [r[1] for r in results if r[1] is not None]
        self.report("race Confirm one hold, %d ids: one confirms, the rest HOLD_ALREADY_CONFIRMED" % THREADS,
                    len(done) == 1 and all(e.reason == "HOLD_ALREADY_CONFIRMED" for e in refused),
                    "%d confirmed, refusals %r" % (len(done), refused[:3]))
        if len(done) == 1:
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 2000
            self.model[(a, self.c.CONSUMER_CREDIT)][2] += 2000
        self.check_model("race Confirm one hold", a)

        # Confirm and Cancel of one hold at once: exactly one of them wins
        hold3 = self.approve(a, 3000)
        results = self.race(lambda stub, i: self.raced_one(
            stub, "Confirm", self.d.ConfirmRequest(request_id=self.rid("cc"), hold_id=hold3))
            if i % 2 == 0
            else self.raced_one(stub, "Cancel", self.d.CancelRequest(request_id=self.rid("cc"), hold_id=hold3)))
        confirmed = [r[0] for r in results if r[1] is None and hasattr(r[0], "drawn_amount_minor")]
        released = [r[0] for r in results if r[1] is None and hasattr(r[0], "released_amount_minor")
                    and r[0].released_amount_minor > 0]
        self.report("race Confirm vs Cancel of one hold: one wins", len(confirmed) + len(released) == 1,
                    "%d confirmed, %d released" % (len(confirmed), len(released)))
        self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 3000
        if confirmed:
            self.model[(a, self.c.CONSUMER_CREDIT)][2] += 3000
        self.check_model("race Confirm vs Cancel", a)

        hold4 = self.approve(a, 4000)
        xrid = self.rid("race-cancel")
        results = self.raced_call("Cancel", self.d.CancelRequest(request_id=xrid, hold_id=hold4))
        if self.one_answer("race Cancel one id x%d" % THREADS, results,
                           lambda r: (r.hold_id, r.released_amount_minor, r.line.held_minor)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 4000
        self.check_model("race Cancel", a)

        prid = self.rid("race-repay")
        results = self.raced_call("Repay", self.d.RepayRequest(
            request_id=prid, borrower_id=a, product=self.c.CONSUMER_CREDIT, amount_minor=500))
        if self.one_answer("race Repay one id x%d" % THREADS, results,
                           lambda r: (r.line.drawn_minor, r.line.version)):
            self.model[(a, self.c.CONSUMER_CREDIT)][2] -= 500
        self.check_model("race Repay", a)

        # many Decides (other ids) racing for one line: approvals never exceed it
        b = self.borrower("race-line")
        amount = LINE // 3 + 1  # two fit, three do not
        results = self.race(lambda stub, i: self.raced_one(stub, "Decide", self.d.DecisionRequest(
            request_id=self.rid("race-line"), borrower_id=b, product=self.c.CONSUMER_CREDIT, amount_minor=amount)))
        approved = [r[0] for r in results if r[1] is None and r[0].outcome == self.c.APPROVE]
        errors = [r[1] for r in results if r[1] is not None]
        self.report("race Decide %d ids for one line: two approve, the rest decline" % THREADS,
                    len(approved) == 2 and not errors, "%d approved, errors %r" % (len(approved), errors[:3]))
        self.model[(b, self.c.CONSUMER_CREDIT)][1] += amount * len(approved)
        self.check_model("race Decide for one line", b)

        # Repays of the whole drawn balance under other ids at once: one repays, the rest exceed
        c = self.borrower("race-repay")
        self.confirm(self.approve(c, 9000))
        self.model[(c, self.c.CONSUMER_CREDIT)][1] -= 9000
        self.model[(c, self.c.CONSUMER_CREDIT)][2] += 9000
        results = self.race(lambda stub, i: self.raced_one(stub, "Repay", self.d.RepayRequest(
            request_id=self.rid("race-repay-n"), borrower_id=c, product=self.c.CONSUMER_CREDIT, amount_minor=9000)))
        done = [r for r in results if r[1] is None]
        refused = [r[1] for r in results if r[1] is not None]
        self.report("race Repay of all drawn, %d ids: one repays, the rest REPAYMENT_EXCEEDS_DRAWN" % THREADS,
                    len(done) == 1 and all(e.reason == "REPAYMENT_EXCEEDS_DRAWN" for e in refused),
                    "%d repaid, refusals %r" % (len(done), refused[:3]))
        self.model[(c, self.c.CONSUMER_CREDIT)][2] -= 9000 * len(done)
        self.check_model("race Repay of all drawn", c)

        # one id, a different amount from each racer: one acts, every other is REQUEST_ID_REUSED
        rid = self.rid("race-bodies")
        results = self.race(lambda stub, i: self.raced_one(stub, "Decide", self.d.DecisionRequest(
            request_id=rid, borrower_id=c, product=self.c.CONSUMER_CREDIT, amount_minor=100 + i)))
        done = [r[0] for r in results if r[1] is None]
        refused = [r[1] for r in results if r[1] is not None]
        self.report("race Decide one id, %d bodies: one acts, the rest REQUEST_ID_REUSED" % THREADS,
                    len(done) == 1 and all(e.reason == "REQUEST_ID_REUSED" for e in refused),
                    "%d acted, refusals %r" % (len(done), refused[:3]))
        self.model[(c, self.c.CONSUMER_CREDIT)][1] += sum(r.approved_amount_minor for r in done)
        self.check_model("race Decide one id, many bodies", c)

        # one id as a Decide and as a Repay at once: only one kind acts
        self.confirm(self.approve(c, 5000))
        self.model[(c, self.c.CONSUMER_CREDIT)][1] -= 5000
        self.model[(c, self.c.CONSUMER_CREDIT)][2] += 5000
        rid = self.rid("race-kinds")
        results = self.race(lambda stub, i: self.raced_one(stub, "Decide", self.d.DecisionRequest(
            request_id=rid, borrower_id=c, product=self.c.CONSUMER_CREDIT, amount_minor=100)) if i % 2 == 0
            else self.raced_one(stub, "Repay", self.d.RepayRequest(
                request_id=rid, borrower_id=c, product=self.c.CONSUMER_CREDIT, amount_minor=100)))
        decided = [r[0] for r in results if r[1] is None and hasattr(r[0], "outcome")]
        repaid = [r[0] for r in results if r[1] is None and not hasattr(r[0], "outcome")]
        refused = [r[1] for r in results if r[1] is not None]
        self.report("race one id as Decide and Repay: one kind acts, the other REQUEST_ID_REUSED",
                    (not decided or not repaid) and all(e.reason == "REQUEST_ID_REUSED" for e in refused)
                    and len(refused) == THREADS // 2, "%d decided, %d repaid, refusals %r"
                    % (len(decided), len(repaid), refused[:2]))
        if decided:
            self.model[(c, self.c.CONSUMER_CREDIT)][1] += 100
        if repaid:
            self.model[(c, self.c.CONSUMER_CREDIT)][2] -= 100
        self.check_model("race one id as Decide and Repay", c)

        # one id through the main port and every shard port at once (LOOP mode's partition_ports)
        pmap, err = self.call("GetPartitionMap", self.d.GetPartitionMapRequest())
        ports = sorted(set(x for x in (pmap.partition_ports if pmap else []) if x))
        host = self.target.rsplit(":", 1)[0]
        targets = [self.target] + ["%s:%d" % (host, x) for x in ports]
        rid = self.rid("race-ports")
        request = self.d.DecisionRequest(request_id=rid, borrower_id=c, product=self.c.CONSUMER_CREDIT,
                                         amount_minor=700)
        results = self.race(lambda stub, i: self.call("Decide", request, stub), targets=targets)
        if self.one_answer("race Decide one id over %d ports x%d" % (len(targets), THREADS), results,
                           lambda r: (r.outcome, r.hold_id)):
            self.model[(c, self.c.CONSUMER_CREDIT)][1] += 700
        self.check_model("race over the shard ports", c)

    def raced_one(self, stub, method, request):
        return self.call(method, request, stub)

    def reuse(self):
        a = self.borrower("reuse", [self.c.CONSUMER_CREDIT, self.c.CASH_LOAN])
        rid = self.rid("reuse")
        first, err = self.decide(a, 1000, rid=rid, currency="CNY", merchant_id="m1", installments=3)
        if err or first.outcome != self.c.APPROVE:
            return self.report("reuse: first Decide", False, "%r %r" % (first, err))
        self.model[(a, self.c.CONSUMER_CREDIT)][1] += 1000
        again, err = self.decide(a, 1000, rid=rid, currency="CNY", merchant_id="m1", installments=3)
        self.report("reuse Decide same body: replayed, same hold", err is None and again.replayed
                    and again.hold_id == first.hold_id, "%r %r" % (again, err))
        for what, fields in (("amount", dict(amount=1001)), ("product", dict(product=self.c.CASH_LOAN)),
                             ("merchant", dict(merchant_id="m2")), ("installments", dict(installments=6))):
            kw = dict(currency="CNY", merchant_id="m1", installments=3)
            amount = fields.pop("amount", 1000)
            kw.update(fields)
            self.unchanged("reuse Decide id, other %s: REQUEST_ID_REUSED" % what, a,
                           lambda: self.decide(a, amount, rid=rid, **kw), reason="REQUEST_ID_REUSED",
                           field="request_id")
        self.check_model("reuse Decide (other product untouched)", a, self.c.CASH_LOAN)

        # the same id for another borrower is another request (documented), never an answer from a's record
        b = self.borrower("reuse-other")
        other, err = self.decide(b, 1000, rid=rid, currency="CNY", merchant_id="m1", installments=3)
        ok = err is None and not other.replayed and other.hold_id != first.hold_id
        self.report("reuse Decide id for another borrower: a new decision, not a's answer", ok,
                    "%r %r" % (other, err))
        if ok and other.outcome == self.c.APPROVE:
            self.model[(b, self.c.CONSUMER_CREDIT)][1] += 1000
        self.check_model("reuse Decide id for another borrower", b)
        self.check_model("reuse Decide id for another borrower (a untouched)", a)

        # the Decide's id on other kinds of call of the same borrower
        self.unchanged("reuse Decide id on Repay", a, lambda: self.repay(a, 1, rid=rid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.unchanged("reuse Decide id on Confirm", a, lambda: self.confirm(first.hold_id, rid=rid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.unchanged("reuse Decide id on Cancel", a, lambda: self.cancel(first.hold_id, rid=rid),
                       reason="REQUEST_ID_REUSED", field="request_id")

        # Confirm / Cancel / Repay ids with another hold or amount
        hold2 = self.approve(a, 2000)
        crid = self.rid("reuse-c")
        got, err = self.confirm(first.hold_id, rid=crid)
        if self.report("reuse: Confirm", err is None, repr(err)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 1000
            self.model[(a, self.c.CONSUMER_CREDIT)][2] += 1000
        self.unchanged("reuse Confirm id, other hold", a, lambda: self.confirm(hold2, rid=crid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.unchanged("reuse Confirm id on Cancel of its hold", a, lambda: self.cancel(first.hold_id, rid=crid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        prid = self.rid("reuse-p")
        got, err = self.repay(a, 100, rid=prid)
        if self.report("reuse: Repay", err is None, repr(err)):
            self.model[(a, self.c.CONSUMER_CREDIT)][2] -= 100
        self.unchanged("reuse Repay id, other amount", a, lambda: self.repay(a, 200, rid=prid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.unchanged("reuse Repay id, other product", a,
                       lambda: self.repay(a, 100, rid=prid, product=self.c.CASH_LOAN),
                       reason="REQUEST_ID_REUSED", field="request_id", product=self.c.CASH_LOAN)
        self.unchanged("reuse Repay id on Decide", a, lambda: self.decide(a, 100, rid=prid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        again, err = self.repay(a, 100, rid=prid)
        self.report("reuse Repay same body: replayed", err is None and again.replayed, "%r %r" % (again, err))
        # a hold of a's confirmed under an id b used: the id is a's own (per borrower), so it confirms
        xrid = self.rid("reuse-x")
        got, err = self.cancel(hold2, rid=xrid)
        if self.report("reuse: Cancel", err is None and got.released_amount_minor == 2000, repr(err or got)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 2000
        self.unchanged("reuse Cancel id on Confirm of its hold", a, lambda: self.confirm(hold2, rid=xrid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.check_model("reuse", a)

        # an empty currency is the line's: naming it on the retry (or leaving it out) is the same request
        for first_currency, retry_currency in (("", "CNY"), ("CNY", "")):
            rid2 = self.rid("reuse-cur")
            first, err = self.decide(a, 300, rid=rid2, currency=first_currency)
            if err is None and first.outcome == self.c.APPROVE:
                self.model[(a, self.c.CONSUMER_CREDIT)][1] += 300
            again, err = self.decide(a, 300, rid=rid2, currency=retry_currency)
            self.report("reuse Decide currency %r then %r: replayed, same hold" % (first_currency, retry_currency),
                        err is None and again.replayed and again.hold_id == first.hold_id, repr(err or again))
        self.check_model("reuse Decide with the currency spelled out", a)

        # GetDecision of ids that were not Decides: NOT_FOUND, never another call's record read as a decision
        for name, used in (("Confirm", crid), ("Repay", prid), ("Cancel", xrid)):
            self.expect_refusal("GetDecision of a %s's id: NOT_FOUND" % name, self.call(
                "GetDecision", self.d.GetDecisionRequest(request_id=used, borrower_id=a)), "NOT_FOUND",
                "DECISION_NOT_FOUND")

        # Apply and ReportRiskEvent ids reused with other fields, or for other calls
        arid = self.rid("reuse-apply")
        got, err = self.call("Apply", self.d.CreditApplication(request_id=arid, borrower_id=a,
                                                               product=self.c.BUSINESS_LOAN,
                                                               annual_income_minor=50_000_000))
        self.report("reuse: Apply", err is None, repr(err))
        self.unchanged("reuse Apply id, other income", a, lambda: self.call("Apply", self.d.CreditApplication(
            request_id=arid, borrower_id=a, product=self.c.BUSINESS_LOAN, annual_income_minor=60_000_000)),
            reason="REQUEST_ID_REUSED", field="request_id", product=self.c.BUSINESS_LOAN)
        self.unchanged("reuse Apply id on Decide", a, lambda: self.decide(a, 100, rid=arid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        erid = self.rid("reuse-event")
        got, err = self.call("ReportRiskEvent", self.p.RiskEvent(request_id=erid, borrower_id=a,
                                                                  type=self.p.RISK_EVENT_TYPE_BUREAU_HIT),
                             self.profiles)
        self.report("reuse: ReportRiskEvent", err is None, repr(err))
        self.unchanged("reuse ReportRiskEvent id, other type", a, lambda: self.call(
            "ReportRiskEvent", self.p.RiskEvent(request_id=erid, borrower_id=a, type=self.p.RISK_EVENT_TYPE_OVERDUE,
                                                days_past_due=30), self.profiles),
            reason="REQUEST_ID_REUSED", field="request_id")
        self.unchanged("reuse ReportRiskEvent id on Repay", a, lambda: self.repay(a, 1, rid=erid),
                       reason="REQUEST_ID_REUSED", field="request_id")
        self.check_model("reuse Apply and risk event ids", a)

    def bad_input(self):
        a = self.borrower("bad")
        hold = self.approve(a, 1000)
        long_id = "x" * 65

        def decide(**over):
            fields = dict(request_id=self.rid("bad"), borrower_id=a, product=self.c.CONSUMER_CREDIT,
                          amount_minor=100)
            fields.update(over)
            return lambda: self.call("Decide", self.d.DecisionRequest(**fields))

        bad_decide = [
            ("request_id", dict(request_id="")), ("request_id", dict(request_id=long_id)),
            ("request_id", dict(request_id="has space")), ("request_id", dict(request_id="caf\u00e9")),
            ("request_id", dict(request_id="tab\there")), ("request_id", dict(request_id="nul\x00x")),
            ("borrower_id", dict(borrower_id="")), ("borrower_id", dict(borrower_id=long_id)),
            ("borrower_id", dict(borrower_id=a + "\u200b")), ("borrower_id", dict(borrower_id=a + "\n")),
            ("product", dict(product=0)), ("product", dict(product=99)), ("product", dict(product=-1)),
            ("amount_minor", dict(amount_minor=0)), ("amount_minor", dict(amount_minor=-1)),
            ("amount_minor", dict(amount_minor=MAX_AMOUNT + 1)), ("amount_minor", dict(amount_minor=2 ** 63 - 1)),
            ("amount_minor", dict(amount_minor=-2 ** 63)),
            ("currency", dict(currency="USD")), ("currency", dict(currency="cny")),
            ("currency", dict(currency="CNYX")), ("currency", dict(currency="\u00a5")),
            ("merchant_id", dict(merchant_id=long_id)), ("merchant_id", dict(merchant_id="m 1")),
            ("merchant_category", dict(merchant_category="541")),
            ("merchant_category", dict(merchant_category="54111")),
            ("merchant_category", dict(merchant_category="abcd")),
            ("merchant_category", dict(merchant_category="\u0665\u0664\u0661\u0661")),
            ("channel", dict(channel=99)), ("channel", dict(channel=-5)),
            ("device_id", dict(device_id="d" * 129)), ("device_id", dict(device_id="dev\u00e9")),
            ("ip", dict(ip="1" * 46)), ("ip", dict(ip="not an ip")), ("ip", dict(ip="999.1.1.1")),
            ("region", dict(region="R" * 17)),
            ("event_time_ms", dict(event_time_ms=-1)),
            ("installments", dict(installments=-1)), ("installments", dict(installments=37)),
            ("attributes", dict(attributes={"": self.c.AttributeValue(int_value=1)})),
            ("attributes", dict(attributes={"bad key": self.c.AttributeValue(int_value=1)})),
            ("attributes", dict(attributes={"k" * 65: self.c.AttributeValue(int_value=1)})),
            ("attributes", dict(attributes={"k": self.c.AttributeValue(string_value="v" * 257)})),
            ("attributes", dict(attributes={"k%d" % i: self.c.AttributeValue(int_value=i) for i in range(65)})),
            ("attributes", dict(attributes={"k": self.c.AttributeValue(double_value=float("nan"))})),
            ("attributes", dict(attributes={"k": self.c.AttributeValue(double_value=float("-inf"))})),
            ("market", dict(market="XX")),
        ]
        for field, over in bad_decide:
            value = list(over.values())[0]
            shown = repr(value) if not isinstance(value, dict) else "%d entries" % len(value)
            self.unchanged("bad Decide %s=%s" % (field, shown[:40]), a, decide(**over),
                           reason="CURRENCY_NOT_SUPPORTED" if field == "currency" and over["currency"] == "USD"
                           else "INVALID_FIELD", field=field)
        # every bad field is named, the first in the message
        self.unchanged("bad Decide three fields: all named", a,
                       decide(amount_minor=-1, currency="usd", ip="x" * 50), field="amount_minor")

        bad_holds = [("", "INVALID_ARGUMENT", "hold_id"), (long_id, "INVALID_ARGUMENT", "hold_id"),
                     ("zzzz", "INVALID_ARGUMENT", "hold_id"), ("h" + "g" * 16, "INVALID_ARGUMENT", "hold_id"),
                     (hold + " ", "INVALID_ARGUMENT", "hold_id"), (hold.upper(), None, None)]
        for value, code, field in bad_holds:
            for name, method in (("Confirm", self.confirm), ("Cancel", self.cancel)):
                if code is None:
                    # another spelling of a real hold id: either refused as malformed or not found, never a hit
                    res = method(value)
                    err = res[1]
                    self.report("bad %s hold_id=%r (other case): not the hold" % (name, value[:20]),
                                err is not None and err.code in ("INVALID_ARGUMENT", "NOT_FOUND"), repr(res))
                    continue
                self.unchanged("bad %s hold_id=%r" % (name, value[:20]), a, lambda: method(value),
                               code=code, field=field)
            self.unchanged("bad Confirm request_id=''", a, lambda: self.confirm(hold, rid=""), field="request_id")
            break
        for value, code, field in bad_holds[1:5]:
            self.unchanged("bad Confirm hold_id=%r" % value[:20], a, lambda: self.confirm(value), field=field)
            self.unchanged("bad Cancel hold_id=%r" % value[:20], a, lambda: self.cancel(value), field=field)
        # a well-formed hold id nobody was given
        forged = hold[:-1] + ("0" if hold[-1] != "0" else "1")
        res = self.confirm(forged)
        self.report("Confirm of a well-formed unknown hold id: NOT_FOUND HOLD_NOT_FOUND",
                    res[1] is not None and res[1].code == "NOT_FOUND" and res[1].reason == "HOLD_NOT_FOUND",
                    repr(res))

        for field, over in (("request_id", dict(rid="")), ("amount_minor", dict(amount=0)),
                            ("amount_minor", dict(amount=-5)), ("amount_minor", dict(amount=MAX_AMOUNT + 1)),
                            ("product", dict(product=7)), ("currency", dict(currency="USD")),
                            ("currency", dict(currency="cny")), ("market", dict(market="XX"))):
            kw = dict(amount=1)
            kw.update(over)
            amount = kw.pop("amount")
            rid = kw.pop("rid", None)
            if rid == "":
                attack = (lambda: self.call("Repay", self.d.RepayRequest(
                    request_id="", borrower_id=a, product=self.c.CONSUMER_CREDIT, amount_minor=1)))
            else:
                attack = (lambda amount=amount, kw=kw: self.repay(a, amount, **kw))
            self.unchanged("bad Repay %s=%r" % (field, list(over.values())[0]), a, attack,
                           reason="CURRENCY_NOT_SUPPORTED" if over.get("currency") == "USD" else "INVALID_FIELD",
                           field=field)
        self.unchanged("bad Repay borrower_id=''", a, lambda: self.call("Repay", self.d.RepayRequest(
            request_id=self.rid("p"), borrower_id="", product=self.c.CONSUMER_CREDIT, amount_minor=1)),
            field="borrower_id")

        for field, req in (("borrower_id", self.d.GetCreditLineRequest(product=self.c.CONSUMER_CREDIT)),
                           ("product", self.d.GetCreditLineRequest(borrower_id=a)),
                           ("product", self.d.GetCreditLineRequest(borrower_id=a, product=42))):
            self.expect_refusal("bad GetCreditLine %s" % field, self.call("GetCreditLine", req),
                                "INVALID_ARGUMENT", "INVALID_FIELD", field)
        self.expect_refusal("GetCreditLine unknown borrower: NOT_FOUND", self.call(
            "GetCreditLine", self.d.GetCreditLineRequest(borrower_id=self.prefix + "-nobody",
                                                         product=self.c.CONSUMER_CREDIT)),
            "NOT_FOUND", "PROFILE_NOT_FOUND")
        for field, req in (("request_id", self.d.GetDecisionRequest(borrower_id=a)),
                           ("borrower_id", self.d.GetDecisionRequest(request_id="r"))):
            self.expect_refusal("bad GetDecision %s" % field, self.call("GetDecision", req),
                                "INVALID_ARGUMENT", "INVALID_FIELD", field)

        self.bad_profiles(a)
        self.bad_applications(a)
        self.bad_risk_events(a)
        self.malformed(a)
        self.check_model("bad input", a)

    def bad_profiles(self, a):
        p = self.p

        def upsert(**over):
            fields = dict(borrower_id=a, region="CN-31", lines=[p.ProductLine(product=self.c.CONSUMER_CREDIT,
                                                                              line_minor=LINE)])
            fields.update(over)
            return lambda: self.call("Upsert", p.UpsertProfileRequest(profile=p.Profile(**fields)), self.profiles)

        cases = [
            ("profile.borrower_id", dict(borrower_id="")), ("profile.borrower_id", dict(borrower_id="a b")),
            ("profile.region", dict(region="R" * 17)),
            ("profile.annual_income_minor", dict(annual_income_minor=-1)),
            ("profile.self_limit_minor", dict(self_limit_minor=-1)),
            ("profile.lines[0].line_minor", dict(lines=[p.ProductLine(product=self.c.CONSUMER_CREDIT,
                                                                      line_minor=-1)])),
            ("profile.lines[0].line_minor", dict(lines=[p.ProductLine(product=self.c.CONSUMER_CREDIT,
                                                                      line_minor=MAX_AMOUNT + 1)])),
            ("profile.lines[0].product", dict(lines=[p.ProductLine(product=0, line_minor=1)])),
            ("profile.lines[0].product", dict(lines=[p.ProductLine(product=9, line_minor=1)])),
            ("profile.lines[1].product", dict(lines=[p.ProductLine(product=self.c.CONSUMER_CREDIT, line_minor=1),
                                                     p.ProductLine(product=self.c.CONSUMER_CREDIT, line_minor=2)])),
            ("profile.attributes", dict(attributes={"bad key": self.c.AttributeValue(int_value=1)})),
            ("profile.group_id", dict(group_id="g" * 65)),
            ("profile.market", dict(market="XX")),
        ]
        got, err = self.call("Get", p.GetProfileRequest(borrower_id=a), self.profiles)
        for field, over in cases:
            self.unchanged("bad Upsert %s" % field, a, upsert(**over), field=field)
        after, err2 = self.call("Get", p.GetProfileRequest(borrower_id=a), self.profiles)
        self.report("bad Upsert: profile unchanged", err is None and err2 is None and got == after,
                    "%r / %r" % (err, err2))
        self.expect_refusal("bad Upsert without profile", self.call("Upsert", p.UpsertProfileRequest(),
                                                                    self.profiles),
                            "INVALID_ARGUMENT", "INVALID_FIELD", "profile")
        self.expect_refusal("Get unknown profile: NOT_FOUND", self.call(
            "Get", p.GetProfileRequest(borrower_id=self.prefix + "-nobody"), self.profiles),
            "NOT_FOUND", "PROFILE_NOT_FOUND")

    def bad_applications(self, a):
        def apply(**over):
            fields = dict(request_id=self.rid("apply"), borrower_id=a, product=self.c.CONSUMER_CREDIT,
                          annual_income_minor=10_000_000)
            fields.update(over)
            return lambda: self.call("Apply", self.d.CreditApplication(**fields))

        for field, over in (("request_id", dict(request_id="")), ("borrower_id", dict(borrower_id="")),
                            ("product", dict(product=0)), ("requested_line_minor", dict(requested_line_minor=-1)),
                            ("annual_income_minor", dict(annual_income_minor=-1)),
                            ("region", dict(region="R" * 17)), ("self_limit_minor", dict(self_limit_minor=-1)),
                            ("event_time_ms", dict(event_time_ms=-1)), ("market", dict(market="XX")),
                            ("currency", dict(currency="USD")), ("currency", dict(currency="cny"))):
            self.unchanged("bad Apply %s=%r" % (field, list(over.values())[0]), a, apply(**over),
                           reason="CURRENCY_NOT_SUPPORTED" if over.get("currency") == "USD" else "INVALID_FIELD",
                           field=field)

    def bad_risk_events(self, a):
        p = self.p

        def event(**over):
            fields = dict(request_id=self.rid("ev"), borrower_id=a, type=p.RISK_EVENT_TYPE_OVERDUE,
                          days_past_due=5, amount_minor=100)
            fields.update(over)
            return lambda: self.call("ReportRiskEvent", p.RiskEvent(**fields), self.profiles)

        for field, over in (("request_id", dict(request_id="")), ("borrower_id", dict(borrower_id="")),
                            ("type", dict(type=0)), ("type", dict(type=77)), ("product", dict(product=55)),
                            ("days_past_due", dict(days_past_due=0)), ("days_past_due", dict(days_past_due=3651)),
                            ("amount_minor", dict(amount_minor=-1)), ("event_time_ms", dict(event_time_ms=-1))):
            self.unchanged("bad ReportRiskEvent %s=%r" % (field, list(over.values())[0]), a, event(**over),
                           field=field)

    def malformed(self, a):
        """Bytes that are not a DecisionRequest: MALFORMED_REQUEST, nothing changes."""
        raw = self.channel.unary_unary("/formica.v1.DecisionService/Decide")
        good = self.d.DecisionRequest(request_id=self.rid("raw"), borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                      amount_minor=100).SerializeToString()
        invalid_utf8 = b"\x0a\x02\xc3\x28" + good[good.index(b"\x12"):]
        cases = (("truncated", good[:-3]), ("invalid wire type 7", b"\x0f" + good),
                 ("length past the end", b"\x0a\x7f" + good[2:]),
                 ("invalid UTF-8 in request_id", invalid_utf8), ("garbage", b"\xff" * 32))
        for name, body in cases:
            def attack(body=body):
                try:
                    return raw(body, timeout=10), None
                except self.grpc.RpcError as e:
                    return None, Refusal(e, self.status_pb2, self.error_details_pb2)
            self.unchanged("malformed Decide (%s)" % name, a, attack, reason="MALFORMED_REQUEST")
        big = self.d.DecisionRequest(request_id=self.rid("big"), borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                     amount_minor=100).SerializeToString() + b"\xfa\x07" + b"\x80\x80\x05" \
            + b"u" * (80 * 1024)  # unknown field 127, 80 KiB
        self.unchanged("Decide over 64 KiB (unknown field)", a, lambda: self.call_raw(raw, big), field="request")
        from formica.v1 import diagnostics_pb2, diagnostics_pb2_grpc
        echo = diagnostics_pb2_grpc.DiagnosticsServiceStub(self.channel)
        self.expect_refusal("Echo over 64 KiB", self.call("Echo", diagnostics_pb2.EchoRequest(
            payload=b"x" * (64 * 1024 + 1)), echo), "INVALID_ARGUMENT", "INVALID_FIELD", "payload")

    def call_raw(self, raw, body):
        try:
            return raw(body, timeout=10), None
        except self.grpc.RpcError as e:
            return None, Refusal(e, self.status_pb2, self.error_details_pb2)

    def cross_borrower(self):
        a = self.borrower("xa")
        b = self.borrower("xb")
        rid = self.rid("xdecide")
        got, err = self.decide(a, 5000, rid=rid)
        if err or got.outcome != self.c.APPROVE:
            return self.report("cross: Decide", False, repr(err or got))
        self.model[(a, self.c.CONSUMER_CREDIT)][1] += 5000
        d, err = self.call("GetDecision", self.d.GetDecisionRequest(request_id=rid, borrower_id=a))
        self.report("GetDecision own request: the answer", err is None and d.hold_id == got.hold_id, repr(err))
        self.expect_refusal("GetDecision of a's request as b: NOT_FOUND", self.call(
            "GetDecision", self.d.GetDecisionRequest(request_id=rid, borrower_id=b)), "NOT_FOUND",
            "DECISION_NOT_FOUND")
        self.expect_refusal("GetDecision of a Repay's id: NOT_FOUND", self.call(
            "GetDecision", self.d.GetDecisionRequest(request_id=self.rid("none"), borrower_id=a)), "NOT_FOUND",
            "DECISION_NOT_FOUND")
        # a's hold confirmed: the answer and its line are a's, b's line does not move
        before_b = self.state(b)
        conf, err = self.confirm(got.hold_id)
        ok = err is None and conf.line.borrower_id == a
        self.report("Confirm of a's hold: a's line in the answer", ok, repr(err or conf.line))
        if err is None:
            self.model[(a, self.c.CONSUMER_CREDIT)][1] -= 5000
            self.model[(a, self.c.CONSUMER_CREDIT)][2] += 5000
        self.report("Confirm of a's hold: b unchanged", self.state(b) == before_b, "")
        # b repays: a's drawn balance is not b's to repay
        self.unchanged("b repays (b drew nothing): REPAYMENT_EXCEEDS_DRAWN", b, lambda: self.repay(b, 100),
                       code="FAILED_PRECONDITION", reason="REPAYMENT_EXCEEDS_DRAWN")
        self.check_model("cross a", a)
        self.check_model("cross b", b)
        # Decide for b with a's hold id shaped request id, and errors never carry another borrower's id
        res = self.confirm(got.hold_id)
        err = res[1]
        self.report("refusal of a's hold shows no borrower id", err is not None and a not in err.message
                    and a not in str(err.metadata), repr(err))
        # unknown borrower and unknown line decline, nothing created
        nobody = self.prefix + "-nobody"
        res = self.decide(nobody, 100)
        self.report("Decide unknown borrower: DECLINE NO_PROFILE", res[1] is None and res[0].outcome ==
                    self.c.DECLINE and any(r.code == "NO_PROFILE" for r in res[0].reasons), repr(res))
        self.expect_refusal("... and no profile was made", self.call(
            "GetCreditLine", self.d.GetCreditLineRequest(borrower_id=nobody, product=self.c.CONSUMER_CREDIT)),
            "NOT_FOUND", "PROFILE_NOT_FOUND")
        res = self.decide(a, 100, product=self.c.BUSINESS_LOAN)
        self.report("Decide on a product without a line: DECLINE NO_LINE", res[1] is None and res[0].outcome ==
                    self.c.DECLINE and any(r.code == "NO_LINE" for r in res[0].reasons), repr(res))
        self.unchanged("Repay on a product without a line: NOT_FOUND LINE_NOT_FOUND", a,
                       lambda: self.repay(a, 1, product=self.c.BUSINESS_LOAN), code="NOT_FOUND",
                       reason="LINE_NOT_FOUND")

    def lifecycle(self):
        a = self.borrower("life")
        pr = self.c.CONSUMER_CREDIT
        h1 = self.approve(a, 1000)
        got, err = self.cancel(h1)
        if self.report("Cancel a hold: released", err is None and got.released_amount_minor == 1000, repr(err)):
            self.model[(a, pr)][1] -= 1000
        self.unchanged("Confirm after Cancel: HOLD_CANCELLED", a, lambda: self.confirm(h1),
                       code="FAILED_PRECONDITION", reason="HOLD_CANCELLED")
        got, err = self.cancel(h1)
        self.report("Cancel after Cancel (new id): ok, releases 0", err is None and got.released_amount_minor == 0,
                    repr(err or got))
        h2 = self.approve(a, 2000)
        got, err = self.confirm(h2)
        if self.report("Confirm: drawn", err is None and got.drawn_amount_minor == 2000, repr(err)):
            self.model[(a, pr)][1] -= 2000
            self.model[(a, pr)][2] += 2000
        self.unchanged("Cancel after Confirm: HOLD_ALREADY_CONFIRMED", a, lambda: self.cancel(h2),
                       code="FAILED_PRECONDITION", reason="HOLD_ALREADY_CONFIRMED")
        self.unchanged("Confirm after Confirm (new id): HOLD_ALREADY_CONFIRMED", a, lambda: self.confirm(h2),
                       code="FAILED_PRECONDITION", reason="HOLD_ALREADY_CONFIRMED")
        self.unchanged("Repay more than drawn: REPAYMENT_EXCEEDS_DRAWN", a, lambda: self.repay(a, 2001),
                       code="FAILED_PRECONDITION", reason="REPAYMENT_EXCEEDS_DRAWN")
        got, err = self.repay(a, 1500)
        if self.report("Repay part", err is None and got.line.drawn_minor == 500, repr(err or got)):
            self.model[(a, pr)][2] -= 1500
        self.unchanged("Repay again the same sum (new id): REPAYMENT_EXCEEDS_DRAWN", a, lambda: self.repay(a, 1500),
                       code="FAILED_PRECONDITION", reason="REPAYMENT_EXCEEDS_DRAWN")
        got, err = self.repay(a, 500)
        if self.report("Repay the rest", err is None and got.line.drawn_minor == 0, repr(err or got)):
            self.model[(a, pr)][2] -= 500
        self.unchanged("Repay with nothing drawn: REPAYMENT_EXCEEDS_DRAWN", a, lambda: self.repay(a, 1),
                       code="FAILED_PRECONDITION", reason="REPAYMENT_EXCEEDS_DRAWN")
        self.check_model("lifecycle", a)
        # Decide of more than the line and of exactly the line
        res = self.decide(a, LINE + 1)
        self.report("Decide over the line: DECLINE INSUFFICIENT_LINE", res[1] is None and res[0].outcome ==
                    self.c.DECLINE and any(r.code == "INSUFFICIENT_LINE" for r in res[0].reasons), repr(res))
        self.check_model("Decide over the line", a)

        if self.hold_ttl_ms <= 0:
            print("skip expired hold (no --hold-ttl-ms)")
            return
        h3 = self.approve(a, 3000)
        h4 = self.approve(a, 4000)
        deadline = time.monotonic() + self.hold_ttl_ms / 1000.0 + 30
        while self.line(a).held_minor != 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the server's state for the hold's time to pass, bounded
        self.model[(a, pr)][1] -= 7000
        self.check_model("holds expired", a)
        self.unchanged("Confirm of an expired hold: HOLD_EXPIRED", a, lambda: self.confirm(h3),
                       code="FAILED_PRECONDITION", reason="HOLD_EXPIRED")
        got, err = self.cancel(h4)
        self.report("Cancel of an expired hold: ok, releases 0", err is None and got.released_amount_minor == 0,
                    repr(err or got))
        self.check_model("expired", a)

    def stream(self):
        a = self.borrower("stream")
        rid = self.rid("s")
        reqs = [self.d.DecisionRequest(request_id=rid, borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                       amount_minor=700),
                self.d.DecisionRequest(request_id=self.rid("s-bad"), borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                       amount_minor=-1),
                self.d.DecisionRequest(request_id=rid, borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                       amount_minor=700),
                self.d.DecisionRequest(request_id=rid, borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                       amount_minor=701)]
        try:
            answers = list(self.decisions.DecideStream(iter(reqs), timeout=20))
        except self.grpc.RpcError as e:
            return self.report("DecideStream", False, "stream failed: %s %s" % (e.code(), e.details()))
        holds = set(r.hold_id for r in answers if r.hold_id)
        errors = [r.error for r in answers if r.error.code]
        ok = len(answers) == 4 and len(holds) == 1 and len(errors) == 2 \
            and any(e.message.startswith("amount_minor") for e in errors) \
            and any(e.message.startswith("request_id") for e in errors)
        self.report("DecideStream: one hold for one id, bad and reused ids answered in-stream", ok,
                    "%r" % [(r.request_id[-8:], r.hold_id, r.replayed, r.error.code, r.error.message[:60])
                            for r in answers])
        self.model[(a, self.c.CONSUMER_CREDIT)][1] += 700
        self.check_model("DecideStream", a)

    def deadlines(self):
        """Calls abandoned by the client (1 ms deadlines) and then retried patiently: one effect, the same answer."""
        a = self.borrower("deadline")
        rid = self.rid("dl")
        request = self.d.DecisionRequest(request_id=rid, borrower_id=a, product=self.c.CONSUMER_CREDIT,
                                         amount_minor=1000)
        for _ in range(10):
            try:
                self.decisions.Decide(request, timeout=0.001)
            except self.grpc.RpcError:
                pass
        got, err = self.call("Decide", request)
        if self.report("Decide abandoned 10 times then retried: answered", err is None and got.hold_id != "",
                       repr(err)):
            self.model[(a, self.c.CONSUMER_CREDIT)][1] += 1000
        self.check_model("abandoned Decides: held once", a)
        same = [request] * 50
        try:
            answers = list(self.decisions.DecideStream(iter(same), timeout=20))
        except self.grpc.RpcError as e:
            return self.report("DecideStream 50 copies of one id", False, "%s %s" % (e.code(), e.details()))
        self.report("DecideStream 50 copies of an answered id: 50 replays of its hold",
                    len(answers) == 50 and all(r.replayed and r.hold_id == got.hold_id for r in answers),
                    "%d answers, holds %s" % (len(answers), set(r.hold_id for r in answers)))
        self.check_model("DecideStream copies", a)

    def transport(self):
        """What gRPC itself answers: an unknown method, an admin call without credentials, oversized metadata."""
        res = self.call_raw(self.channel.unary_unary("/formica.v1.DecisionService/NoSuchMethod"), b"")
        self.report("unknown method: UNIMPLEMENTED", res[1] is not None and res[1].code == "UNIMPLEMENTED", repr(res))
        from formica.v1 import admin_pb2, admin_pb2_grpc
        admin = admin_pb2_grpc.AdminServiceStub(self.channel)
        self.expect_refusal("AdminService without credentials: UNAUTHENTICATED", self.call(
            "ListRuleSets", admin_pb2.ListRuleSetsRequest(), admin), "UNAUTHENTICATED", "CREDENTIALS_MISSING")
        try:
            admin.ListRuleSets(admin_pb2.ListRuleSetsRequest(), timeout=10,
                               metadata=[("authorization", "Bearer not-a-token-of-this-server-000000")])
            self.report("AdminService with an unknown token: UNAUTHENTICATED", False, "accepted")
        except self.grpc.RpcError as e:
            r = Refusal(e, self.status_pb2, self.error_details_pb2)
            self.report("AdminService with an unknown token: UNAUTHENTICATED", r.code == "UNAUTHENTICATED"
                        and r.reason == "TOKEN_INVALID", repr(r))
        # metadata over the 8 KiB header list: the call is refused by the transport (HTTP 431), nothing decided
        a = self.borrower("header")
        before = self.state(a)
        with self.grpc.insecure_channel(self.target) as own:
            from formica.v1 import decision_pb2_grpc
            try:
                decision_pb2_grpc.DecisionServiceStub(own).Decide(self.d.DecisionRequest(
                    request_id=self.rid("hdr"), borrower_id=a, product=self.c.CONSUMER_CREDIT, amount_minor=1),
                    timeout=10, metadata=[("x-padding", "p" * 9000)])
                ok, why = False, "accepted"
            except self.grpc.RpcError as e:
                ok, why = e.code() != self.grpc.StatusCode.OK, "%s %s" % (e.code().name, e.details())
        self.report("Decide with 9 KB of metadata: refused by the transport (%s)" % why.split(" ")[0], ok, why)
        self.report("Decide with 9 KB of metadata / no change", self.state(a) == before, "")

    def guessable_holds(self):
        """Hold ids are bearer capabilities (docs/api.md, "Abuse"): from one's own hold id, the ids a caller would
        try next (the 2,048 ids of the next 8 low values under every partition, and those of the 8 before) hold none of
        four other borrowers' holds made right after, and their low 56 bits are not close to each other."""
        mine = self.approve(self.borrower("guess-0"), 1)
        theirs = [self.approve(self.borrower("guess-%d" % i), 1) for i in range(1, 5)]
        low = int(mine[1:], 16) & ((1 << 56) - 1)
        candidates = set("h%x" % ((p << 56) | s) for s in range(low - 8, low + 9) for p in range(256) if s >= 0)
        found = sum(1 for h in theirs if h in candidates)
        self.report("hold ids: none of 4 other borrowers' next holds is among the ids next to %s" % mine,
                    found == 0, "%d found" % found)
        lows = sorted(int(h[1:], 16) & ((1 << 56) - 1) for h in [mine] + theirs)
        closest = min(b - a for a, b in zip(lows, lows[1:]))
        self.report("hold ids: the low 56 bits of 5 consecutive holds are far apart", closest > (1 << 32),
                    "closest %d" % closest)

    def run(self):
        self.grpc.channel_ready_future(self.channel).result(timeout=30)
        for part in (self.races, self.reuse, self.bad_input, self.cross_borrower, self.lifecycle, self.stream,
                     self.deadlines, self.transport, self.guessable_holds):
            try:
                part()
            except Exception as e:  # noqa: BLE001 - an attack that crashed the client is a failed check
                self.report(part.__name__, False, "crashed: %s: %s" % (type(e).__name__, e))
        print("%d checks, %d failed (%d calls shed and retried)" % (self.checks, self.failures, self.retries))
        return 1 if self.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--hold-ttl-ms", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)
    sys.exit(Adversary(args).run())


if __name__ == "__main__":
    main()
