"""Upload callbacks (callback.md; decisions C1-C24, A1).

Pure layer (style.md §2): ``model`` (values), ``parse`` (carriers -> ``CallbackSpec``, every
400 of callback.md §4), ``template`` (``callbackBody`` expansion, C1-C4), ``judge`` (the
application's answer -> success or failure, C10/C11) and ``signing`` (string to sign and
RSA-MD5 signature, C16-C19). I/O adapters (key files, outbound HTTP) live next to them in
their own modules. Nothing is re-exported here, so importing a pure module stays cheap.
"""
