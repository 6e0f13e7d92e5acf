// PostObject form fields signed by ali-oss's own helpers, without any network:
// client.calculatePostSignature(policy) (V1) and client.signPostObjectPolicyV4(policy, date)
// (V4), with the V4 form built as ali-oss's README does. Cases come as JSON in POST_CASES;
// prints one JSON line: for each case, the V1 and the V4 form fields.
'use strict';
const dateFormat = require('dateformat');
const OSS = require('ali-oss');
const { getCredential } = require('ali-oss/lib/common/signUtils');
const { getStandardRegion } = require('ali-oss/lib/common/utils/getStandardRegion');
const { policy2Str } = require('ali-oss/lib/common/utils/policy2Str');

function sign(c) {
  const client = new OSS({
    accessKeyId: c.ak,
    accessKeySecret: c.sk,
    stsToken: c.token || undefined,
    bucket: c.bucket,
    region: 'oss-' + c.region,
  });
  // V1: the policy as an object or as JSON text (both accepted by calculatePostSignature).
  const v1Policy = { expiration: c.expiration, conditions: c.conditions };
  const v1 = client.calculatePostSignature(c.asString ? JSON.stringify(v1Policy, null, 2) : v1Policy);
  if (client.options.stsToken) v1['x-oss-security-token'] = client.options.stsToken;

  // V4: README of ali-oss, ".signPostObjectPolicyV4(policy, date)".
  const date = new Date(c.date);
  const formattedDate = dateFormat(date, "UTC:yyyymmdd'T'HHMMss'Z'");
  const credential = getCredential(
    formattedDate.split('T')[0], getStandardRegion(client.options.region), client.options.accessKeyId);
  const policy = {
    expiration: c.expiration,
    conditions: [
      ...c.conditions,
      { 'x-oss-credential': credential },
      { 'x-oss-date': formattedDate },
      { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
    ],
  };
  const v4 = {
    'x-oss-date': formattedDate,
    'x-oss-credential': credential,
    'x-oss-signature-version': 'OSS4-HMAC-SHA256',
  };
  if (client.options.stsToken) {
    policy.conditions.push({ 'x-oss-security-token': client.options.stsToken });
    v4['x-oss-security-token'] = client.options.stsToken;
  }
  v4['x-oss-signature'] = client.signPostObjectPolicyV4(policy, date);
  v4.policy = Buffer.from(policy2Str(policy), 'utf8').toString('base64');
  return { v1, v4 };
}

console.log(JSON.stringify(JSON.parse(process.env.POST_CASES).map(sign)));
