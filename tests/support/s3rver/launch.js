'use strict';
/*
 * Test-only launcher: s3rver on 127.0.0.1, with a SigV4 verifier in front.
 *
 *   node launch.js --directory DIR [--port 0] [--region us-east-1]
 *
 * s3rver 3.7.1 checks the access key, the clock (15 minutes for the header
 * form) and presigned-URL expiry (X-Amz-Date + X-Amz-Expires), but it does NOT
 * compute SigV4 signatures ("Signature version 4 calculation is
 * unimplemented" in its authentication middleware).  So this launcher puts a
 * verifier in front of s3rver's own middleware that recomputes every SigV4
 * signature -- Authorization header and presigned query alike -- with the AWS
 * SDK for JavaScript v3's own signer (@smithy/signature-v4: canonical request,
 * query encoding, string to sign, key derivation, HMAC), and refuses a
 * mismatch with S3's 403 SignatureDoesNotMatch, and a credential scope that is
 * not --region/s3 with S3's 400 AuthorizationHeaderMalformed /
 * AuthorizationQueryParametersError.  What it accepts goes on to s3rver
 * unchanged, which still applies its own checks (expiry included).
 *
 * Prints one JSON line per event on stdout:
 *   {"event": "listening", "port": N}
 *   {"event": "sync", "token": T}      (answer to GET /__shim_sync__/T)
 *   {"event": "request", "method": ..., "path": ..., "auth": "sigv4" |
 *    "sigv4-query" | "sigv2" | "anonymous", "region": ..., "verdict": "ok" |
 *    "<error code>", "signed_headers": "host;..."}
 */
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');
const AWSAccount = require('s3rver/lib/models/account');

function parseArgs(argv) {
  const options = { port: 0, region: 'us-east-1', directory: null };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in options)) throw new Error('unknown option ' + argv[i]);
    options[name] = name === 'port' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!options.directory) throw new Error('--directory is required');
  return options;
}

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

const Sha256 = Hash.bind(null, 'sha256');

/** Raw query string -> { name: value | [values] }, percent-decoded. */
function parseQuery(raw) {
  const query = {};
  for (const item of raw.split('&')) {
    if (!item) continue;
    const at = item.indexOf('=');
    const key = decodeURIComponent(at < 0 ? item : item.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(item.slice(at + 1));
    if (key in query) {
      query[key] = [].concat(query[key], value);
    } else {
      query[key] = value;
    }
  }
  return query;
}

function parseAuthorization(value) {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(value || '');
  if (!match) return null;
  const fields = {};
  for (const part of match[1].split(',')) {
    const at = part.indexOf('=');
    fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return {
    credential: fields.Credential,
    signedHeaders: fields.SignedHeaders,
    signature: fields.Signature,
  };
}

/** [accessKey, date, region, service, terminator] of a credential. */
function parseCredential(text) {
  const parts = (text || '').split('/');
  return parts.length === 5 ? parts : null;
}

function toDate(amzDate) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function canonicalHeaders(rawHeaders, signedList) {
  // rawHeaders: node's [name, value, name, value, ...] as received.
  const wanted = new Set(signedList.split(';'));
  const values = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!wanted.has(name)) continue;
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    values[name] = name in values ? values[name] + ',' + value : value;
  }
  return values;
}

function verifier(expectedRegion) {
  return async function sigv4Verifier(ctx, next) {
    const rawUrl = ctx.req.url;
    const sync = /^\/__shim_sync__\/([0-9a-f]{1,32})$/.exec(rawUrl);
    if (sync) {
      // The test process waits for this line: every line before it is read.
      emit({ event: 'sync', token: sync[1] });
      ctx.status = 204;
      return;
    }
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
    const header = ctx.get('authorization');
    const record = { event: 'request', method: ctx.method, path: rawPath,
                     query: q < 0 ? '' : rawUrl.slice(q + 1),
                     auth: 'anonymous', region: null, verdict: 'ok',
                     signed_headers: null };
    let fields = null;
    let payloadHash;
    let amzDate;
    try {
      if ('X-Amz-Algorithm' in query) {
        record.auth = 'sigv4-query';
        fields = {
          credential: query['X-Amz-Credential'],
          signedHeaders: query['X-Amz-SignedHeaders'],
          signature: query['X-Amz-Signature'],
        };
        payloadHash = 'UNSIGNED-PAYLOAD';
        amzDate = query['X-Amz-Date'];
        if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256' ||
            !fields.credential || !fields.signedHeaders || !fields.signature) {
          throw new S3Error('AuthorizationQueryParametersError',
            'Query-string authentication version 4 requires the ' +
            'X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
            'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
        }
      } else if (/^AWS4-HMAC-SHA256 /.test(header)) {
        record.auth = 'sigv4';
        fields = parseAuthorization(header);
        payloadHash = ctx.get('x-amz-content-sha256');
        amzDate = ctx.get('x-amz-date');
      } else if (header || 'Signature' in query) {
        record.auth = 'sigv2';
      }
      if (fields) {
        const credential = parseCredential(fields.credential);
        const badScope = record.auth === 'sigv4-query'
          ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
        if (!credential || credential[4] !== 'aws4_request') {
          throw new S3Error(badScope, 'the Credential is mal-formed');
        }
        const [accessKey, shortDate, region, service] = credential;
        record.region = region;
        record.signed_headers = fields.signedHeaders;
        if (region !== expectedRegion || service !== 's3') {
          throw new S3Error(badScope,
            `the region '${region}' is wrong; expecting '${expectedRegion}'`,
            { Region: expectedRegion });
        }
        const when = toDate(amzDate);
        if (!when || amzDate.slice(0, 8) !== shortDate) {
          throw new S3Error(badScope, 'X-Amz-Date is not a valid ISO8601 ' +
            'long date matching the credential date');
        }
        const account = AWSAccount.registry.get(accessKey);
        if (!account) {
          throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id ' +
            'you provided does not exist in our records.');
        }
        if (!fields.signedHeaders.split(';').includes('host')) {
          throw new S3Error('AccessDenied', 'host must be a signed header');
        }
        const credentials = { accessKeyId: accessKey,
                              secretAccessKey: account.accessKeys.get(accessKey) };
        const signer = new SignatureV4({
          credentials, region, service, sha256: Sha256, uriEscapePath: false,
        });
        const headers = canonicalHeaders(ctx.req.rawHeaders,
                                         fields.signedHeaders);
        if (Object.keys(headers).sort().join(';') !== fields.signedHeaders) {
          throw new S3Error('AccessDenied', 'a signed header is missing');
        }
        const request = { method: ctx.method, path: rawPath, query };
        const canonical = signer.createCanonicalRequest(request, headers,
                                                        payloadHash);
        const expected = await signer.getSignature(
          amzDate, `${shortDate}/${region}/${service}/aws4_request`,
          signer.getSigningKey(credentials, region, shortDate, service),
          canonical);
        if (expected !== fields.signature) {
          throw new S3Error('SignatureDoesNotMatch', 'The request signature ' +
            'we calculated does not match the signature you provided. ' +
            'Check your key and signing method.');
        }
      }
    } catch (error) {
      record.verdict = error.code || 'error';
      record.status = error.status || 500;
      emit(record);
      throw error;
    }
    try {
      await next();
    } catch (error) {
      // s3rver's own refusals (expiry, skew, unknown bucket) are thrown.
      record.verdict = error.code || 'error';
      record.status = error.status || 500;
      emit(record);
      throw error;
    }
    record.status = ctx.status;
    emit(record);
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory: options.directory,
    silent: true,
    resetOnClose: true,
  });
  // First in the chain: before s3rver's logger, XML and routes.
  server.middleware.unshift(verifier(options.region));
  const address = await server.run();
  emit({ event: 'listening', port: address.port, region: options.region });
  const stop = () => server.close().then(() => process.exit(0),
                                         () => process.exit(1));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(2);
});
