// PostObject forms signed by ali-oss's own helpers, as its README's samples build them, posted
// with Node's fetch/FormData to OSS_POST_URL. Prints one JSON line of statuses and bodies.
'use strict';
const dateFormat = require('dateformat');
const OSS = require('ali-oss');
const { getCredential } = require('ali-oss/lib/common/signUtils');
const { getStandardRegion } = require('ali-oss/lib/common/utils/getStandardRegion');
const { policy2Str } = require('ali-oss/lib/common/utils/policy2Str');

const env = process.env;
const client = new OSS({
  accessKeyId: env.OSS_AK,
  accessKeySecret: env.OSS_SK,
  stsToken: env.OSS_TOKEN || undefined,
  bucket: env.OSS_BUCKET,
  region: 'oss-' + env.OSS_REGION,
  endpoint: env.OSS_ENDPOINT,
});

async function send(formData) {
  const response = await fetch(env.OSS_POST_URL, { method: 'POST', body: formData });
  return { status: response.status, body: await response.text() };
}

async function v1(name, callback) {
  const expiration = new Date(Date.now() + 60 * 1000).toISOString();
  const policy = { expiration, conditions: [['content-length-range', 1, 1024], ['starts-with', '$key', 'ali-oss/']] };
  const signed = client.calculatePostSignature(policy);
  const formData = new FormData();
  formData.append('key', name);
  formData.append('OSSAccessKeyId', signed.OSSAccessKeyId);
  formData.append('policy', signed.policy);
  formData.append('Signature', signed.Signature);
  if (client.options.stsToken) formData.append('x-oss-security-token', client.options.stsToken);
  if (callback) {
    formData.append('callback', callback);
    formData.append('x:from', 'ali-oss');
  }
  formData.append('file', new Blob(['v1 form body']), 'v1.txt');
  return send(formData);
}

async function v4(name) {
  const formData = new FormData();
  formData.append('key', name);
  formData.append('Content-Type', 'text/plain');
  formData.append('Cache-Control', 'max-age=30');
  const date = new Date();
  const expirationDate = new Date(date);
  expirationDate.setMinutes(date.getMinutes() + 1);
  const formattedDate = dateFormat(date, "UTC:yyyymmdd'T'HHMMss'Z'");
  const credential = getCredential(formattedDate.split('T')[0], getStandardRegion(client.options.region), client.options.accessKeyId);
  formData.append('x-oss-date', formattedDate);
  formData.append('x-oss-credential', credential);
  formData.append('x-oss-signature-version', 'OSS4-HMAC-SHA256');
  const policy = {
    expiration: expirationDate.toISOString(),
    conditions: [
      { bucket: client.options.bucket },
      { 'x-oss-credential': credential },
      { 'x-oss-date': formattedDate },
      { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
      ['content-length-range', 1, 1024],
      ['eq', '$success_action_status', '200'],
      ['starts-with', '$key', 'ali-oss/'],
      ['in', '$content-type', ['image/jpg', 'text/plain']],
      ['not-in', '$cache-control', ['no-cache']],
    ],
  };
  if (client.options.stsToken) {
    policy.conditions.push({ 'x-oss-security-token': client.options.stsToken });
    formData.append('x-oss-security-token', client.options.stsToken);
  }
  const signature = client.signPostObjectPolicyV4(policy, date);
  formData.append('policy', Buffer.from(policy2Str(policy), 'utf8').toString('base64'));
  formData.append('x-oss-signature', signature);
  formData.append('success_action_status', '200');
  formData.append('file', new Blob(['v4 form body']), 'v4.txt');
  return send(formData);
}

(async () => {
  const out = {};
  out.v1 = await v1('ali-oss/v1.txt');
  out.v4 = await v4('ali-oss/v4.txt');
  out.outsidePolicy = await v1('elsewhere/v1.txt');
  if (env.OSS_CALLBACK) out.callback = await v1('ali-oss/cb.txt', env.OSS_CALLBACK);
  console.log(JSON.stringify(out));
})().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
