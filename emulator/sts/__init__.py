"""The local STS: AssumeRole at the emulator's own address (decisions.md S1).

- ``errors``: STS's JSON errors, one class per code;
- ``signature``: the RPC HMAC-SHA1 and ACS3-HMAC-SHA256 signatures of the official clients;
- ``service``: which requests are STS, the action table and AssumeRole.

The temporary pairs themselves come from ``emulator.auth.keyring``, which OSS
authentication also uses to accept them. The I/O adapter is ``emulator.handlers.sts``.
"""
