// ali-oss's STS class against the emulator's local STS, then OSS with the credentials it
// returned (decisions.md S1). Configuration comes from the environment; every step asserts,
// and the script prints one JSON line of what it observed.
'use strict';
const assert = require('node:assert/strict');
const OSS = require('ali-oss');
const { STS } = require('ali-oss');

const env = process.env;
const roleArn = 'acs:ram::1234567890123456:role/emulator-node';

async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return { status: err.status, code: err.code, message: err.message };
  }
  throw new Error('expected a failure');
}

async function main() {
  const seen = {};
  // lib/sts.js POSTs a signed form to options.endpoint as given (a full URL).
  const sts = new STS({
    accessKeyId: env.OSS_AK,
    accessKeySecret: env.OSS_SK,
    endpoint: env.OSS_ENDPOINT,
  });
  const policy = {
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] }],
  };
  const assumed = await sts.assumeRole(roleArn, policy, 900, 'node-session');
  assert.equal(assumed.res.status, 200);
  const creds = assumed.credentials;
  assert.match(creds.AccessKeyId, /^STS\./);
  seen.expiresInSeconds = Math.round((Date.parse(creds.Expiration) - Date.now()) / 1000);

  const base = {
    accessKeyId: creds.AccessKeyId,
    accessKeySecret: creds.AccessKeySecret,
    stsToken: creds.SecurityToken,
    bucket: env.OSS_BUCKET,
    region: 'oss-' + env.OSS_REGION,
    endpoint: env.OSS_ENDPOINT,
    sldEnable: true,
    timeout: 20000,
  };
  seen.contents = {};
  for (const v4 of [false, true]) {
    const client = new OSS({ ...base, authorizationV4: v4 });
    const key = `node/sts/${v4 ? 'v4' : 'v1'} 你好.txt`;
    const put = await client.put(key, Buffer.from('hello from STS'));
    assert.equal(put.res.status, 200);
    seen.contents[v4 ? 'v4' : 'v1'] = (await client.get(key)).content.toString();
    await client.delete(key);
  }

  const wrongToken = new OSS({ ...base, stsToken: creds.SecurityToken + 'x' });
  seen.wrongToken = (await failure(wrongToken.put('node/sts/x', Buffer.from('x')))).code;

  const badSecret = new STS({
    accessKeyId: env.OSS_AK,
    accessKeySecret: env.OSS_SK + 'wrong',
    endpoint: env.OSS_ENDPOINT,
  });
  seen.badSecret = await failure(badSecret.assumeRole(roleArn, null, 900, 'node-session'));
  seen.tooLong = await failure(sts.assumeRole(roleArn, null, 43201, 'node-session'));
  console.log(JSON.stringify(seen));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
