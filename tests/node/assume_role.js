// ali-oss's STS class asks the emulator's local STS for temporary credentials and prints them
// as one JSON line ({AccessKeyId, AccessKeySecret, SecurityToken, Expiration}).
'use strict';
const { STS } = require('ali-oss');

const env = process.env;
(async () => {
  const sts = new STS({ accessKeyId: env.OSS_AK, accessKeySecret: env.OSS_SK, endpoint: env.OSS_ENDPOINT });
  const assumed = await sts.assumeRole('acs:ram::1234567890123456:role/browser-upload', '', 900, 'browser-page');
  console.log(JSON.stringify(assumed.credentials));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
