"""Self-signed CA and server certificate (SAN IP 127.0.0.1, DNS localhost) for the sim.

Uses the ``openssl`` command line (the ``cryptography`` package is not a dependency)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Certs:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def _run(args: list[str], cwd: str) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=60)


def generate(common_name: str = "kmon-sim") -> Certs:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("TLS for the sim needs the openssl command line tool")
    with tempfile.TemporaryDirectory(prefix="kmon-sim-tls-") as d:
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _run([openssl, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
              "-subj", f"/CN={common_name}-ca", "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
        _run([openssl, "req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost"], d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        _run([openssl, "x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", "srv.crt", "-days", "3650", "-extfile", "ext.cnf"], d)

        def read(n: str) -> bytes:
            with open(os.path.join(d, n), "rb") as f:
                return f.read()

        return Certs(read("ca.crt"), read("srv.crt"), read("srv.key"))


def server_context(certs: Certs) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="kmon-sim-tls-") as d:
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        with open(cert, "wb") as f:
            f.write(certs.cert_pem + certs.ca_pem)
        with open(key, "wb") as f:
            f.write(certs.key_pem)
        ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
