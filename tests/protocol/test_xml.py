"""Tests for emulator.protocol.xml: shapes, round trips, and the SDKs' own parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import unquote

import oss2.models
import oss2.utils
import oss2.xml_utils
import pytest
from alibabacloud_oss_v2 import models as v2_models
from alibabacloud_oss_v2 import serde, serde_utils
from alibabacloud_oss_v2.types import OperationInput, OperationOutput
from hypothesis import example, given
from hypothesis import strategies as st

from emulator.errors import InvalidArgument, MalformedXML, OSSError
from emulator.protocol import xml
from emulator.protocol.cors import CorsConfig, CorsRule
from emulator.protocol.names import validate_object_key
from emulator.storage.base import (
    BucketMeta,
    ObjectAttrs,
    ObjectMeta,
    ObjectPage,
    PartMeta,
    PartPage,
    UploadMeta,
    UploadPage,
)

T0 = 1764100602.0  # 2025-11-25T19:56:42Z
ETAG = '"5EB63BBBE01EEED093CB22BB8F5ACDC3"'
RULE_GET = (
    b"<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
)
MP_ETAG = '"E09E4FD6265B36115FE3DB32DF945D84-2"'
SPECIAL_KEY = "dir/a b+c&<d>\"'%é中.txt"


def _obj(key: str, *, size: int = 11, object_type: Any = "Normal") -> ObjectMeta:
    return ObjectMeta(
        bucket="b",
        key=key,
        size=size,
        etag=ETAG,
        crc64=1,
        md5=b"\x00" * 16,
        last_modified=T0,
        object_type=object_type,
    )


def _page(keys: list[str], prefixes: tuple[str, ...] = (), truncated: bool = False) -> ObjectPage:
    return ObjectPage(
        objects=tuple(_obj(k) for k in keys),
        common_prefixes=prefixes,
        truncated=truncated,
        next_marker=(prefixes or tuple(keys))[-1] if truncated else None,
    )


class _Result:
    """A bare attribute bag like the oss2 result objects parse functions fill."""

    def __init__(self, **lists: list[Any]) -> None:
        self.__dict__.update(lists)


class _Response:
    def __init__(self, content: bytes) -> None:
        self.content = content


def _v2(result: Any, body: bytes, *deserializers: Any) -> Any:
    """Run alibabacloud_oss_v2's deserialisers on a body, as its operations do."""
    output = OperationOutput(
        status="OK", status_code=200, headers={}, http_response=_Response(body)
    )
    return serde.deserialize_output(
        result, output, custom_deserializer=[serde.deserialize_output_xmlbody, *deserializers]
    )


def _xml_keys() -> st.SearchStrategy[str]:
    alphabet = st.one_of(
        st.sampled_from(list("<>&\"' /+%?#=\r\n\t.~-_")),
        st.characters(codec="utf-8"),
    )

    def valid(key: str) -> bool:
        try:
            validate_object_key(key)
        except OSSError:
            return False
        return True

    return st.text(alphabet, min_size=1, max_size=40).filter(valid)


def _list_v1(
    page: ObjectPage, *, encoding_url: bool, prefix: str = "", delimiter: str = ""
) -> bytes:
    return xml.render_list_objects(
        page,
        bucket="b",
        prefix=prefix,
        marker="",
        max_keys=100,
        delimiter=delimiter,
        encoding_url=encoding_url,
        owner_id="1234",
    )


def _list_v2(page: ObjectPage, *, encoding_url: bool, fetch_owner: bool = False) -> bytes:
    return xml.render_list_objects_v2(
        page,
        bucket="b",
        prefix="dir/",
        start_after="dir/0",
        continuation_token="tok/1",
        next_continuation_token="tok/2" if page.truncated else None,
        max_keys=2,
        delimiter="/",
        encoding_url=encoding_url,
        fetch_owner=fetch_owner,
        owner_id="1234",
    )


class TestEncodeUrl:
    """encode_url follows rest-api.md §13.3."""

    @pytest.mark.parametrize(
        ("raw", "encoded"),
        [
            ("dir/a b+c.txt", "dir%2Fa%20b%2Bc.txt"),
            ("A-Z_a.z~09", "A-Z_a.z~09"),
            ("é", "%C3%A9"),
            ("*'()!", "%2A%27%28%29%21"),
            ("", ""),
        ],
    )
    def test_examples(self, raw: str, encoded: str) -> None:
        """Spaces become %20, slashes are encoded, hex is uppercase."""
        assert xml.encode_url(raw) == encoded

    @given(st.text(st.characters(codec="utf-8")))
    def test_unquote_round_trip(self, value: str) -> None:
        """urllib's unquote gives back the original, and only unreserved bytes stay literal."""
        encoded = xml.encode_url(value)
        assert unquote(encoded) == value
        assert all(c.isascii() and (c.isalnum() or c in "-_.~%") for c in encoded)


class TestParseXmlRoot:
    """parse_xml_root parses safely or raises MalformedXML."""

    def test_refuses_billion_laughs(self) -> None:
        """A DTD with entities is refused before parsing."""
        body = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;">]><Delete>&lol2;</Delete>'
        )
        with pytest.raises(MalformedXML):
            xml.parse_xml_root(body, "Delete")

    def test_refuses_wrong_root(self) -> None:
        """Another root element is MalformedXML."""
        with pytest.raises(MalformedXML):
            xml.parse_xml_root(b"<Other/>", "Delete")

    def test_strips_namespaces(self) -> None:
        """S3-style namespaced bodies are read as plain tags."""
        root = xml.parse_xml_root(
            b'<Delete xmlns="http://s3"><Quiet>true</Quiet></Delete>', "Delete"
        )
        assert root.tag == "Delete"
        assert root.findtext("Quiet") == "true"

    @pytest.mark.parametrize(
        "body", [b"", b"<", b"\xff\xfe", b"<Delete>", b"<?xml encoding='nope'?><a/>"]
    )
    def test_malformed(self, body: bytes) -> None:
        """Broken bodies are MalformedXML."""
        with pytest.raises(MalformedXML):
            xml.parse_xml_root(body, "Delete")


class TestParsersTotal:
    """Every parse_* returns or raises OSSError on arbitrary input."""

    @given(
        st.one_of(
            st.binary(max_size=300),
            st.lists(
                st.sampled_from(
                    [
                        "<Delete>",
                        "</Delete>",
                        "<Object>",
                        "</Object>",
                        "<Key>",
                        "</Key>",
                        "<Quiet>",
                        "</Quiet>",
                        "true",
                        "x",
                        "<CompleteMultipartUpload>",
                        "</CompleteMultipartUpload>",
                        "<Part>",
                        "</Part>",
                        "<PartNumber>",
                        "</PartNumber>",
                        "<ETag>",
                        "</ETag>",
                        "1",
                        "-1",
                        "99999999999",
                        "<CORSConfiguration>",
                        "</CORSConfiguration>",
                        "<CORSRule>",
                        "</CORSRule>",
                        "<AllowedOrigin>",
                        "</AllowedOrigin>",
                        "*",
                        "**",
                        "<AllowedMethod>",
                        "</AllowedMethod>",
                        "GET",
                        "PATCH",
                        "<MaxAgeSeconds>",
                        "</MaxAgeSeconds>",
                        "<ResponseVary>",
                        "</ResponseVary>",
                        "<CreateBucketConfiguration>",
                        "</CreateBucketConfiguration>",
                        "<StorageClass>",
                        "</StorageClass>",
                        "IA",
                        "&amp;",
                        "&#0;",
                        "<!DOCTYPE a>",
                        "<?xml version='1.0'?>",
                    ]
                ),
                max_size=30,
            ).map(lambda parts: "".join(parts).encode()),
        )
    )
    def test_parsers_total(self, body: bytes) -> None:
        """parse_delete, parse_complete, parse_cors, parse_create_bucket never leak other errors."""
        for parse in (
            xml.parse_delete,
            xml.parse_complete,
            xml.parse_cors,
            xml.parse_create_bucket,
        ):
            try:
                parse(body)
            except OSSError:
                pass


class TestBucketXml:
    """Service and bucket bodies match §13.4/§14 and the SDK parsers."""

    buckets = (BucketMeta(name="b1", created=T0), BucketMeta(name="b2", created=T0 + 1))

    def test_list_buckets_oss2(self) -> None:
        """oss2 parse_list_buckets reads every required field."""
        body = xml.render_list_buckets(self.buckets, owner_id="1234", region="cn-hangzhou")
        result = oss2.xml_utils.parse_list_buckets(_Result(buckets=[]), body)
        assert [b.name for b in result.buckets] == ["b1", "b2"]
        first = result.buckets[0]
        assert first.location == "oss-cn-hangzhou"
        assert first.creation_date == int(T0)
        assert first.extranet_endpoint == "oss-cn-hangzhou.aliyuncs.com"
        assert first.intranet_endpoint == "oss-cn-hangzhou-internal.aliyuncs.com"
        assert first.storage_class == "Standard"
        assert first.region == "cn-hangzhou"
        assert result.owner.id == "1234"
        assert result.is_truncated is False

    def test_list_buckets_v2(self) -> None:
        """v2 ListBucketsResult deserialises the buckets."""
        body = xml.render_list_buckets(self.buckets, owner_id="1234", region="cn-hangzhou")
        result = _v2(v2_models.ListBucketsResult(), body)
        assert [b.name for b in result.buckets] == ["b1", "b2"]
        assert result.buckets[0].creation_date.timestamp() == T0
        assert result.owner.id == "1234"

    def test_list_buckets_empty(self) -> None:
        """No buckets still gives an empty Buckets element."""
        body = xml.render_list_buckets((), owner_id="1", region="cn-hangzhou")
        assert ET.fromstring(body).find("Buckets") is not None

    def test_bucket_info_oss2(self) -> None:
        """oss2 parse_get_bucket_info reads every required field."""
        body = xml.render_bucket_info(self.buckets[0], owner_id="1234", region="cn-hangzhou")
        result = oss2.xml_utils.parse_get_bucket_info(_Result(), body)
        assert result.name == "b1"
        assert result.creation_date == "2025-11-25T19:56:42.000Z"
        assert result.storage_class == "Standard"
        assert result.location == "oss-cn-hangzhou"
        assert result.owner.id == "1234"
        assert result.owner.display_name == "1234"
        assert result.acl.grant == "private"

    def test_bucket_info_v2(self) -> None:
        """v2 GetBucketInfoResult checks the BucketInfo root and reads the bucket."""
        body = xml.render_bucket_info(self.buckets[0], owner_id="1234", region="oss-cn-hangzhou")
        result = _v2(v2_models.GetBucketInfoResult(), body)
        assert result.bucket_info.name == "b1"
        assert result.bucket_info.location == "oss-cn-hangzhou"
        assert result.bucket_info.acl == "private"

    def test_location(self) -> None:
        """oss2 reads the root text; v2 checks the root tag."""
        body = xml.render_bucket_location("cn-hangzhou")
        assert (
            oss2.xml_utils.parse_get_bucket_location(_Result(), body).location == "oss-cn-hangzhou"
        )
        assert _v2(v2_models.GetBucketLocationResult(), body).location == "oss-cn-hangzhou"

    def test_acl(self) -> None:
        """oss2 and v2 read the private grant."""
        body = xml.render_bucket_acl("1234")
        assert oss2.xml_utils.parse_get_bucket_acl(_Result(), body).acl == "private"
        result = _v2(v2_models.GetBucketAclResult(), body)
        assert result.acl == "private"
        assert result.owner.id == "1234"

    def test_create_bucket_bodies(self) -> None:
        """Empty bodies give None; v2's body gives its storage class."""
        assert xml.parse_create_bucket(b"") is None
        assert xml.parse_create_bucket(b"  \n") is None
        v2_body = serde.serialize_xml(
            v2_models.CreateBucketConfiguration(storage_class="IA", data_redundancy_type="LRS")
        )
        assert xml.parse_create_bucket(v2_body) == "IA"
        assert xml.parse_create_bucket(b"<CreateBucketConfiguration/>") is None

    def test_create_bucket_bad_class(self) -> None:
        """An unknown storage class is InvalidArgument."""
        body = b"<CreateBucketConfiguration><StorageClass>Gold</StorageClass>"
        body += b"</CreateBucketConfiguration>"
        with pytest.raises(InvalidArgument):
            xml.parse_create_bucket(body)


class TestListObjects:
    """ListObjects V1/V2 bodies follow §13.1/§13.2 and parse in oss2 and v2."""

    def test_spec_example_shape(self) -> None:
        """The element order of §13.1 with encoding-type=url."""
        page = ObjectPage((_obj("dir/a b+c.txt"),), ("dir/sub/",), False, None)
        root = ET.fromstring(_list_v1(page, encoding_url=True, prefix="dir/", delimiter="/"))
        assert [c.tag for c in root] == [
            "Name",
            "Prefix",
            "Marker",
            "MaxKeys",
            "Delimiter",
            "EncodingType",
            "IsTruncated",
            "Contents",
            "CommonPrefixes",
        ]
        contents = root.find("Contents")
        assert contents is not None
        assert [c.tag for c in contents] == [
            "Key",
            "LastModified",
            "ETag",
            "Type",
            "Size",
            "StorageClass",
            "Owner",
        ]
        assert root.findtext("Prefix") == "dir%2F"
        assert root.findtext("Contents/Key") == "dir%2Fa%20b%2Bc.txt"
        assert root.findtext("Contents/LastModified") == "2025-11-25T19:56:42.000Z"
        assert root.findtext("Contents/ETag") == ETAG
        assert root.findtext("CommonPrefixes/Prefix") == "dir%2Fsub%2F"

    def test_next_marker_after_is_truncated(self) -> None:
        """NextMarker appears only when truncated, right after IsTruncated."""
        root = ET.fromstring(_list_v1(_page(["a", "b"], truncated=True), encoding_url=False))
        tags = [c.tag for c in root]
        assert tags[tags.index("IsTruncated") + 1] == "NextMarker"
        assert root.findtext("NextMarker") == "b"
        plain = ET.fromstring(_list_v1(_page(["a"]), encoding_url=False))
        assert plain.find("NextMarker") is None
        assert plain.find("EncodingType") is None

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_oss2_parses_v1(self, encoding_url: bool) -> None:
        """oss2 parse_list_objects gets keys, markers and prefixes back."""
        page = _page([SPECIAL_KEY, "z"], prefixes=("p/",), truncated=True)
        body = _list_v1(page, encoding_url=encoding_url)
        result = oss2.xml_utils.parse_list_objects(_Result(object_list=[], prefix_list=[]), body)
        assert [o.key for o in result.object_list] == [SPECIAL_KEY, "z"]
        assert result.is_truncated is True
        assert result.next_marker == "p/"
        assert result.prefix_list == ["p/"]
        first = result.object_list[0]
        assert first.last_modified == int(T0)
        assert first.etag == ETAG.strip('"')
        assert first.type == "Normal"
        assert first.size == 11
        assert first.storage_class == "Standard"
        assert first.owner.id == "1234"

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_v2_parses_v1(self, encoding_url: bool) -> None:
        """v2 ListObjectsResult (with its url decoding) gets the same values back."""
        page = _page([SPECIAL_KEY], prefixes=("p /",), truncated=True)
        body = _list_v1(page, encoding_url=encoding_url, prefix="dir /", delimiter="/")
        result = _v2(v2_models.ListObjectsResult(), body, serde_utils.deserialize_encode_type)
        assert result.contents[0].key == SPECIAL_KEY
        assert result.contents[0].size == 11
        assert result.contents[0].owner.id == "1234"
        assert result.common_prefixes[0].prefix == "p /"
        assert result.prefix == "dir /"
        assert result.delimiter == "/"
        assert result.next_marker == "p /"
        assert result.is_truncated is True

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_oss2_parses_v2(self, encoding_url: bool) -> None:
        """oss2 parse_list_objects_v2 gets keys and the next token back."""
        body = _list_v2(
            _page([SPECIAL_KEY], prefixes=("dir/p/",), truncated=True), encoding_url=encoding_url
        )
        result = oss2.xml_utils.parse_list_objects_v2(_Result(object_list=[], prefix_list=[]), body)
        assert [o.key for o in result.object_list] == [SPECIAL_KEY]
        assert result.next_continuation_token == "tok/2"
        assert result.prefix_list == ["dir/p/"]
        assert result.object_list[0].owner is None

    def test_v2_parses_v2(self) -> None:
        """v2 ListObjectsV2Result reads KeyCount, tokens and StartAfter."""
        body = _list_v2(
            _page(["dir/a", "dir/b"], prefixes=("dir/p/",), truncated=True), encoding_url=True
        )
        result = _v2(v2_models.ListObjectsV2Result(), body, serde_utils.deserialize_encode_type)
        assert result.key_count == 3
        assert result.start_after == "dir/0"
        assert result.continuation_token == "tok/1"
        assert result.next_continuation_token == "tok/2"
        assert [c.key for c in result.contents] == ["dir/a", "dir/b"]

    def test_v2_owner_only_with_fetch_owner(self) -> None:
        """Owner appears in V2 Contents only with fetch-owner=true."""
        without = ET.fromstring(_list_v2(_page(["a"]), encoding_url=False))
        assert without.find("Contents/Owner") is None
        with_owner = ET.fromstring(_list_v2(_page(["a"]), encoding_url=False, fetch_owner=True))
        assert with_owner.findtext("Contents/Owner/ID") == "1234"

    def test_v2_optional_elements(self) -> None:
        """StartAfter, ContinuationToken and NextContinuationToken only when applicable."""
        body = xml.render_list_objects_v2(
            _page([]),
            bucket="b",
            prefix="",
            start_after="",
            continuation_token=None,
            next_continuation_token=None,
            max_keys=100,
            delimiter="",
            encoding_url=False,
            fetch_owner=False,
            owner_id="1",
        )
        root = ET.fromstring(body)
        for tag in ("StartAfter", "ContinuationToken", "NextContinuationToken", "EncodingType"):
            assert root.find(tag) is None
        assert root.findtext("KeyCount") == "0"

    @given(st.lists(_xml_keys(), min_size=1, max_size=5, unique=True))
    @example(["a\rb", "<&>", " lead", "trail/", "a//b/../c"])
    def test_keys_round_trip_plain(self, keys: list[str]) -> None:
        """XML-special and unicode keys parse back unchanged with xml.etree."""
        root = ET.fromstring(_list_v1(_page(keys), encoding_url=False))
        assert [n.text for n in root.iter("Key")] == keys

    @given(st.lists(_xml_keys(), min_size=1, max_size=5, unique=True))
    def test_keys_round_trip_url(self, keys: list[str]) -> None:
        """With encoding_url, unquote gives the keys back."""
        root = ET.fromstring(_list_v1(_page(keys), encoding_url=True))
        assert [unquote(n.text or "") for n in root.iter("Key")] == keys


class TestDelete:
    """DeleteMultipleObjects request parsing and result rendering (§14)."""

    def test_parse_oss2_body(self) -> None:
        """oss2's request body parses to its keys and quiet flag."""
        body = oss2.xml_utils.to_batch_delete_objects_request([SPECIAL_KEY, "b"], True)
        assert xml.parse_delete(body) == ([SPECIAL_KEY, "b"], True)

    def test_parse_v2_body(self) -> None:
        """v2's hand-built body (Quiet omitted, &#13; escapes) parses."""
        request = v2_models.DeleteMultipleObjectsRequest(
            bucket="b",
            objects=[v2_models.DeleteObject(key="a\r\nb&c"), v2_models.DeleteObject(key="d")],
        )
        op_input = serde_utils.serialize_delete_objects(request, OperationInput("Op", "POST"))
        assert xml.parse_delete(op_input.body) == (["a\r\nb&c", "d"], False)

    def test_parse_ali_oss_body(self) -> None:
        """ali-oss's declaration, newlines and escaped keys parse."""
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<Delete>\n  <Quiet>false</Quiet>\n'
            b"  <Object><Key>a&amp;b</Key></Object>\n</Delete>"
        )
        assert xml.parse_delete(body) == (["a&b"], False)

    @pytest.mark.parametrize(
        "body",
        [
            b"<Delete></Delete>",
            b"<Delete><Object></Object></Delete>",
            b"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
            b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
        ],
    )
    def test_parse_malformed(self, body: bytes) -> None:
        """No objects, an Object without Key, a bad Quiet, over 1000 objects: MalformedXML."""
        with pytest.raises(MalformedXML):
            xml.parse_delete(body)

    def test_parse_thousand_objects(self) -> None:
        """Exactly 1000 objects are accepted."""
        body = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1000 + b"</Delete>"
        assert len(xml.parse_delete(body)[0]) == 1000

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_result_parsers(self, encoding_url: bool) -> None:
        """oss2 and v2 read the deleted keys back."""
        body = xml.render_delete_result([SPECIAL_KEY, "b"], quiet=False, encoding_url=encoding_url)
        result = oss2.xml_utils.parse_batch_delete_objects(
            _Result(deleted_keys=[], delete_versions=[]), body
        )
        assert result.deleted_keys == [SPECIAL_KEY, "b"]
        v2 = _v2(v2_models.DeleteMultipleObjectsResult(), body, serde_utils.deserialize_encode_type)
        assert [d.key for d in v2.deleted_objects] == [SPECIAL_KEY, "b"]

    def test_quiet_result(self) -> None:
        """Quiet mode renders an empty DeleteResult."""
        body = xml.render_delete_result(["a"], quiet=True, encoding_url=True)
        root = ET.fromstring(body)
        assert root.tag == "DeleteResult"
        assert len(root) == 0
        assert _v2(v2_models.DeleteMultipleObjectsResult(), body).deleted_objects is None


class TestMultipart:
    """Initiate, Complete, ListParts, ListMultipartUploads bodies (§11)."""

    upload = UploadMeta(bucket="b", key=SPECIAL_KEY, upload_id="UPLOAD1", initiated=T0)

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_initiate(self, encoding_url: bool) -> None:
        """oss2 reads UploadId; v2 reads the decoded key."""
        body = xml.render_initiate("b", SPECIAL_KEY, "UPLOAD1", encoding_url=encoding_url)
        assert oss2.xml_utils.parse_init_multipart_upload(_Result(), body).upload_id == "UPLOAD1"
        result = _v2(
            v2_models.InitiateMultipartUploadResult(), body, serde_utils.deserialize_encode_type
        )
        assert (result.bucket, result.key, result.upload_id) == ("b", SPECIAL_KEY, "UPLOAD1")

    def test_parse_complete_oss2(self) -> None:
        """oss2's body (quoted ETags it re-adds) parses."""
        parts = [
            oss2.models.PartInfo(1, "8068107ed1c65a4b827f6a874d2558a5"),
            oss2.models.PartInfo(2, "AB"),
        ]
        body = oss2.xml_utils.to_complete_upload_request(parts)
        assert xml.parse_complete(body) == [(1, '"8068107ED1C65A4B827F6A874D2558A5"'), (2, '"AB"')]

    def test_parse_complete_v2(self) -> None:
        """v2's serialised CompleteMultipartUpload parses."""
        body = serde.serialize_xml(
            v2_models.CompleteMultipartUpload(
                parts=[
                    v2_models.UploadPart(part_number=1, etag='"AA"'),
                    v2_models.UploadPart(part_number=3, etag='"BB"'),
                ]
            )
        )
        assert xml.parse_complete(body) == [(1, '"AA"'), (3, '"BB"')]

    def test_parse_complete_ali_oss(self) -> None:
        """ali-oss's declaration, newlines and unquoted ETags parse, order kept."""
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n'
            b"<Part>\n<PartNumber>2</PartNumber>\n<ETag> cc </ETag>\n</Part>\n"
            b"<Part><PartNumber>1</PartNumber><ETag>&quot;DD&quot;</ETag></Part>\n"
            b"</CompleteMultipartUpload>\n"
        )
        assert xml.parse_complete(body) == [(2, '"CC"'), (1, '"DD"')]

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"<CompleteMultipartUpload/>",
            b"<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
            b"<Complete><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Complete>",
        ],
    )
    def test_parse_complete_malformed(self, body: bytes) -> None:
        """Missing or non-numeric fields, no parts, wrong root: MalformedXML."""
        with pytest.raises(MalformedXML):
            xml.parse_complete(body)

    @given(
        st.lists(
            st.tuples(
                st.integers(1, 10000), st.text("0123456789abcdefABCDEF", min_size=1, max_size=32)
            ),
            min_size=1,
            max_size=20,
        )
    )
    def test_complete_round_trip(self, parts: list[tuple[int, str]]) -> None:
        """A body built by oss2 from any parts parses back to them (ETags normalised)."""
        infos = [oss2.models.PartInfo(n, etag) for n, etag in parts]
        body = oss2.xml_utils.to_complete_upload_request(infos)
        assert xml.parse_complete(body) == [(n, f'"{etag.upper()}"') for n, etag in parts]

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_complete_result(self, encoding_url: bool) -> None:
        """v2 reads bucket, decoded key, location and ETag."""
        body = xml.render_complete(
            "b",
            SPECIAL_KEY,
            MP_ETAG,
            "http://b.oss-cn-hangzhou.aliyuncs.com/k",
            encoding_url=encoding_url,
        )
        result = _v2(
            v2_models.CompleteMultipartUploadResult(), body, serde_utils.deserialize_encode_type
        )
        assert (result.bucket, result.key, result.etag) == ("b", SPECIAL_KEY, MP_ETAG)
        assert result.location == "http://b.oss-cn-hangzhou.aliyuncs.com/k"
        assert ET.fromstring(body)[0].tag == ("EncodingType" if encoding_url else "Location")

    def test_list_parts(self) -> None:
        """oss2 and v2 read truncation, next marker and every part field."""
        part = PartMeta(
            part_number=1, size=102400, etag=ETAG, md5=b"\0" * 16, crc64=2**64 - 1, last_modified=T0
        )
        page = PartPage(parts=(part,), truncated=True, next_part_number_marker=1)
        body = xml.render_list_parts(
            self.upload, page, part_number_marker=0, max_parts=1, encoding_url=True
        )
        result = oss2.xml_utils.parse_list_parts(_Result(parts=[]), body)
        assert result.is_truncated is True
        assert result.next_marker == "1"
        assert (result.parts[0].part_number, result.parts[0].etag, result.parts[0].size) == (
            1,
            ETAG.strip('"'),
            102400,
        )
        assert result.parts[0].last_modified == int(T0)
        v2 = _v2(v2_models.ListPartsResult(), body, serde_utils.deserialize_encode_type)
        assert v2.key == SPECIAL_KEY
        assert v2.parts[0].hash_crc64 == str(2**64 - 1)
        assert (v2.max_parts, v2.next_part_number_marker, v2.storage_class) == (1, 1, "Standard")

    @pytest.mark.parametrize("encoding_url", [False, True])
    def test_list_uploads(self, encoding_url: bool) -> None:
        """oss2 needs NextKeyMarker/NextUploadIdMarker; both SDKs decode keys and prefixes."""
        page = UploadPage(
            uploads=(self.upload,),
            common_prefixes=("p /",),
            truncated=False,
            next_key_marker="",
            next_upload_id_marker="",
        )
        body = xml.render_list_uploads(
            page,
            bucket="b",
            prefix="",
            delimiter="/",
            key_marker="",
            upload_id_marker="",
            max_uploads=1000,
            encoding_url=encoding_url,
        )
        result = oss2.xml_utils.parse_list_multipart_uploads(
            _Result(upload_list=[], prefix_list=[]), body
        )
        assert result.is_truncated is False
        assert (result.next_key_marker, result.next_upload_id_marker) == ("", "")
        assert [(u.key, u.upload_id, u.initiation_date) for u in result.upload_list] == [
            (SPECIAL_KEY, "UPLOAD1", int(T0))
        ]
        assert result.prefix_list == ["p /"]
        v2 = _v2(v2_models.ListMultipartUploadsResult(), body, serde_utils.deserialize_encode_type)
        assert v2.uploads[0].key == SPECIAL_KEY
        assert v2.delimiter == "/"
        assert v2.max_uploads == 1000


class TestCopyResult:
    """CopyObjectResult carries LastModified and ETag."""

    def test_v2_reads_it(self) -> None:
        """v2 CopyObjectResult deserialises both fields."""
        body = xml.render_copy_result(ETAG, T0)
        result = _v2(v2_models.CopyObjectResult(), body, serde.deserialize_output_headers)
        assert result.etag == ETAG
        assert result.last_modified.timestamp() == T0
        assert ET.fromstring(body).tag == "CopyObjectResult"


class TestCorsXml:
    """CORS configuration bodies (§12.3)."""

    config = CorsConfig(
        rules=(
            CorsRule(("*",), ("GET", "PUT"), ("*",), ("ETag", "x-oss-request-id"), 100),
            CorsRule(("http://*.example.com", "https://a<b>"), ("POST",)),
        ),
        response_vary=True,
    )

    def test_round_trip(self) -> None:
        """render_cors then parse_cors gives the same configuration."""
        assert xml.parse_cors(xml.render_cors(self.config)) == self.config

    def test_oss2_body_and_parser(self) -> None:
        """oss2's PutBucketCors body parses; its GetBucketCors parser reads ours."""
        rule = oss2.models.CorsRule(
            allowed_origins=["*"],
            allowed_methods=["GET"],
            allowed_headers=["x-a"],
            max_age_seconds=5,
        )
        body = oss2.xml_utils.to_put_bucket_cors(
            oss2.models.BucketCors([rule], response_vary=False)
        )
        assert xml.parse_cors(body) == CorsConfig(
            (CorsRule(("*",), ("GET",), ("x-a",), (), 5),), False
        )
        parsed = oss2.xml_utils.parse_get_bucket_cors(
            _Result(rules=[]), xml.render_cors(self.config)
        )
        assert parsed.rules[0].allowed_methods == ["GET", "PUT"]
        assert parsed.rules[0].max_age_seconds == 100
        assert parsed.response_vary is True

    def test_v2_parser(self) -> None:
        """v2 GetBucketCorsResult reads our configuration."""
        result = _v2(v2_models.GetBucketCorsResult(), xml.render_cors(self.config))
        rules = result.cors_configuration.cors_rules
        assert rules[1].allowed_origins == ["http://*.example.com", "https://a<b>"]
        assert result.cors_configuration.response_vary is True

    def test_at_most_ten_rules(self) -> None:
        """Ten rules are fine; eleven are InvalidArgument."""
        rule = RULE_GET.decode()
        assert (
            len(
                xml.parse_cors(f"<CORSConfiguration>{rule * 10}</CORSConfiguration>".encode()).rules
            )
            == 10
        )
        with pytest.raises(InvalidArgument):
            xml.parse_cors(f"<CORSConfiguration>{rule * 11}</CORSConfiguration>".encode())

    @pytest.mark.parametrize(
        ("rule", "error"),
        [
            ("<AllowedMethod>GET</AllowedMethod>", MalformedXML),
            ("<AllowedOrigin>*</AllowedOrigin>", MalformedXML),
            (
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>",
                InvalidArgument,
            ),
            (
                "<AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
                InvalidArgument,
            ),
            (
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-*</ExposeHeader>",
                InvalidArgument,
            ),
            (
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>",
                MalformedXML,
            ),
        ],
    )
    def test_invalid_rules(self, rule: str, error: type[OSSError]) -> None:
        """Missing origin/method, unknown method, bad wildcards, bad max age are refused."""
        with pytest.raises(error):
            xml.parse_cors(
                f"<CORSConfiguration><CORSRule>{rule}</CORSRule></CORSConfiguration>".encode()
            )

    def test_no_rules_and_bad_vary(self) -> None:
        """A configuration without rules or with ResponseVary=maybe is MalformedXML."""
        with pytest.raises(MalformedXML):
            xml.parse_cors(b"<CORSConfiguration/>")
        rule = RULE_GET
        with pytest.raises(MalformedXML):
            xml.parse_cors(
                b"<CORSConfiguration>"
                + rule
                + b"<ResponseVary>maybe</ResponseVary></CORSConfiguration>"
            )

    def test_method_case_normalised(self) -> None:
        """Lower-case methods are stored upper-case."""
        rule = RULE_GET.replace(b">GET<", b">get<")
        body = b"<CORSConfiguration>" + rule + b"</CORSConfiguration>"
        assert xml.parse_cors(body).rules[0].allowed_methods == ("GET",)


class TestConventions:
    """Declaration, times and escaping (§9.9)."""

    def test_declaration_and_times(self) -> None:
        """Bodies start with the declaration; times match oss2's strict .000Z pattern."""
        body = xml.render_copy_result(ETAG, T0 + 0.999)
        assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        last_modified = ET.fromstring(body).findtext("LastModified") or ""
        assert oss2.utils._ISO8601_RE.match(last_modified)
        assert oss2.utils.iso8601_to_unixtime(last_modified) == int(T0)

    def test_unrepresentable_characters_stay_well_formed(self) -> None:
        """Control characters in parameters never make the XML malformed."""
        body = _list_v1(_page([]), encoding_url=False, prefix="a\x00b\x1f\ud800")
        assert ET.fromstring(body).findtext("Prefix") == "a\ufffdb\ufffd\ufffd"

    def test_object_with_storage_class(self) -> None:
        """StorageClass comes from the object's attributes."""
        obj = ObjectMeta(
            "b", "k", 1, ETAG, 0, None, T0, "Appendable", ObjectAttrs(storage_class="IA")
        )
        root = ET.fromstring(_list_v1(ObjectPage((obj,), (), False, None), encoding_url=False))
        assert root.findtext("Contents/StorageClass") == "IA"
        assert root.findtext("Contents/Type") == "Appendable"
