#!/usr/bin/env node
// Formica from Node.js with @grpc/grpc-js and @grpc/proto-loader (the .proto files are loaded at run time, no
// generated code): Decide, Confirm, GetCreditLine, then a refused Decide whose google.rpc.Status details are read
// from the grpc-status-details-bin trailer with protobufjs. docs/api.md, "Other languages".
//
//   node check.js --target 127.0.0.1:50051 --borrower ID --protos DIR [--protos DIR ...]
//
// DIR: proto/src/main/proto, and a directory holding google/rpc/status.proto and error_details.proto (they ship
// in the proto-google-common-protos jar). Prints one line per step; exits 1 on anything unexpected.
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const path = require('path');
const crypto = require('crypto');

function option(name, many) {
  const values = [];
  for (let i = 2; i < process.argv.length - 1; i++) {
    if (process.argv[i] === '--' + name) values.push(process.argv[i + 1]);
  }
  if (values.length === 0) throw new Error('--' + name + ' is required');
  return many ? values : values[0];
}

const target = option('target');
const borrower = option('borrower');
const protoDirs = option('protos', true);
const AMOUNT = 12345;   // minor units: 123.45 CNY

const definition = protoLoader.loadSync(['formica/v1/decision.proto'], {
  includeDirs: protoDirs, keepCase: true, longs: Number, enums: String, defaults: true,
});
const formica = grpc.loadPackageDefinition(definition).formica.v1;
const client = new formica.DecisionService(target, grpc.credentials.createInsecure());

const rpcTypes = new protobuf.Root();
rpcTypes.resolvePath = (origin, target) => {
  for (const dir of protoDirs) {
    const candidate = path.join(dir, target);
    if (require('fs').existsSync(candidate)) return candidate;
  }
  return target;
};
rpcTypes.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
const Status = rpcTypes.lookupType('google.rpc.Status');

function call(method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 10000 }, (err, response) => err ? reject(err) : resolve(response));
  });
}

function requestId() {
  return 'node-' + crypto.randomUUID();
}

function details(err) {
  const bin = err.metadata && err.metadata.get('grpc-status-details-bin');
  if (!bin || bin.length === 0) return ['details none (the server sent no google.rpc.Status details)'];
  const status = Status.decode(bin[0]);
  const lines = [];
  for (const any of status.details) {
    const typeName = any.type_url.substring(any.type_url.lastIndexOf('/') + 1);
    const message = rpcTypes.lookupType(typeName).decode(any.value);
    if (typeName === 'google.rpc.ErrorInfo') {
      lines.push('details ErrorInfo reason=' + message.reason + ' domain=' + message.domain);
    } else if (typeName === 'google.rpc.BadRequest') {
      for (const v of message.fieldViolations) lines.push('details BadRequest field=' + v.field);
    } else {
      lines.push('details ' + typeName);
    }
  }
  return lines;
}

async function main() {
  const decided = await call('Decide', {
    request_id: requestId(), borrower_id: borrower, product: 'CONSUMER_CREDIT', amount_minor: AMOUNT, currency: 'CNY',
  });
  console.log('decide ' + decided.outcome + ' hold=' + decided.hold_id);
  if (decided.outcome !== 'APPROVE') throw new Error('expected APPROVE');
  const confirmed = await call('Confirm', { request_id: requestId(), hold_id: decided.hold_id });
  console.log('confirm drawn=' + confirmed.drawn_amount_minor);
  const line = await call('GetCreditLine', { borrower_id: borrower, product: 'CONSUMER_CREDIT' });
  console.log('line drawn=' + line.drawn_minor + ' available=' + line.available_minor + ' currency=' + line.currency);
  try {
    await call('Decide', {
      request_id: requestId(), borrower_id: borrower, product: 'CONSUMER_CREDIT', amount_minor: -AMOUNT,
      currency: 'CNY',
    });
    throw new Error('a negative amount was not refused');
  } catch (err) {
    if (err.code === undefined) throw err;
    console.log('refused ' + grpc.status[err.code] + ' ' + err.details);
    for (const l of details(err)) console.log(l);
  }
  client.close();
}

main().catch((err) => {
  console.error('node client: ' + (err.stack || err));
  process.exit(1);
});
