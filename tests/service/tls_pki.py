"""Certificates made at test time with Debian's openssl command: CAs,
server certificates with subject alternative names, client certificates
named by their CN, and expired ones (`openssl ca` with -startdate and
-enddate, since OpenSSL 3.0's `x509 -req` cannot backdate). EC P-256 keys,
which are quick to make. Keys are written 0600, as clusterd wants."""

import hashlib
import os
import ssl
import subprocess

_CA_CNF = """\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/new
serial = {dir}/serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = optional
organizationName = optional
"""


def _run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class Pki:
    """Files go under dir; each method returns paths."""

    def __init__(self, dir):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def _key(self, name):
        key = self.path(name + ".key")
        _run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-out", key)
        os.chmod(key, 0o600)
        return key

    def ca(self, name, cn=None):
        """A self-signed CA: (cert, key)."""
        key = self._key(name)
        cert = self.path(name + ".pem")
        _run("openssl", "req", "-x509", "-new", "-key", key, "-out", cert,
             "-days", "30", "-subj", "/CN=%s" % (cn or name),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return cert, key

    def _csr(self, name, cn, sans=None):
        key = self._key(name)
        csr = self.path(name + ".csr")
        # cn None: a subject without a common name.
        subj = "/CN=%s" % cn if cn else "/O=clusterd tests"
        args = ["openssl", "req", "-new", "-key", key, "-out", csr,
                "-subj", subj]
        if sans:
            args += ["-addext", "subjectAltName=" + ",".join(sans)]
        _run(*args)
        return csr, key

    def issue(self, ca, name, cn, sans=None, start=None, end=None,
              client=False):
        """A certificate signed by ca (a (cert, key) pair): (cert, key).
        start/end (YYYYMMDDHHMMSSZ) make it expired or not yet valid."""
        csr, key = self._csr(name, cn, sans)
        cert = self.path(name + ".pem")
        db = self.path("ca-db-" + name)
        os.makedirs(os.path.join(db, "new"), exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        with open(os.path.join(db, "serial"), "w") as f:
            f.write("%s\n" % os.urandom(8).hex())
        cnf = os.path.join(db, "ca.cnf")
        with open(cnf, "w") as f:
            f.write(_CA_CNF.format(dir=db))
        ext = os.path.join(db, "ext.cnf")
        with open(ext, "w") as f:
            f.write("[ ext ]\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=%s\n" %
                    ("clientAuth" if client else "serverAuth"))
        args = ["openssl", "ca", "-batch", "-notext", "-config", cnf,
                "-cert", ca[0], "-keyfile", ca[1], "-in", csr, "-out", cert,
                "-extfile", ext, "-extensions", "ext"]
        if start:
            args += ["-startdate", start]
        if end:
            args += ["-enddate", end]
        else:
            args += ["-days", "30"]
        _run(*args)
        return cert, key

    def server(self, ca, name="server"):
        """For localhost and 127.0.0.1."""
        return self.issue(ca, name, "localhost",
                          sans=["DNS:localhost", "IP:127.0.0.1"])

    def client(self, ca, name, cn, **kw):
        return self.issue(ca, name, cn, client=True, **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def fingerprint_file(pem):
    """SHA-256 of the first certificate of a PEM file."""
    with open(pem) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def fingerprint_served(port, cafile, server_name="localhost"):
    """SHA-256 of the certificate a new TLS connection is served."""
    import socket
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["h2"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=server_name) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()
