"""clusterd's command line: --help, --version, bad flags (one line, exit
status 2), environment twins, and JSON log lines."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server  # noqa: E402

BIN = os.environ["CLUSTERD_BIN"]


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN] + list(args), capture_output=True, text=True,
                          env=e, timeout=60)


class Flags(unittest.TestCase):
    def test_help_lists_every_flag(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ["--listen", "--port-file", "--data-dir", "--plugin-dir",
                     "--threads", "--max-message-bytes", "--grace-ms",
                     "--max-connections", "CLUSTERD_MAX_CONNECTIONS",
                     "--log-level", "--log-format", "--version", "--help",
                     "CLUSTERD_DATA_DIR", "--read-only", "CLUSTERD_READ_ONLY",
                     "--primary", "CLUSTERD_PRIMARY", "--max-backups",
                     "CLUSTERD_MAX_BACKUPS", "--restore"]:
            self.assertIn(flag, r.stdout)

    def test_version(self):
        """The version, the plugin SDK's ABI and gRPC core's version
        (info_test.py checks the values against CMake and the SDK
        header)."""
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^clusterd \d+\.\d+\.\d+\n"
                         r"plugin ABI \d+\.\d+\n"
                         r"gRPC core \d+\.\d+\.\d+\n$")

    def test_bad_flags_exit_2_with_one_line(self):
        cases = [(["--nope"], {}), (["--threads", "zero"], {}),
                 (["--log-format", "xml"], {}), (["--listen"], {}),
                 (["positional"], {}),
                 ([], {"CLUSTERD_MAX_MESSAGE_BYTES": "lots"}),
                 (["--primary", "db1:50051"], {}),
                 (["--read-only", "--primary", "db 1"], {}),
                 (["--max-backups", "0"], {}),
                 ([], {"CLUSTERD_READ_ONLY": "yes"}),
                 (["--restore", "x.cdbak"], {})]
        for args, env in cases:
            with self.subTest(args=args, env=env):
                r = run(*args, env=env)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("clusterd: "))

    def test_run_flags_refused_exit_2_with_one_line(self):
        """--run-workers, --run-queue, --run-timeout, --run-timeout-max:
        a bad value is one line naming the flag, exit status 2, nothing
        created."""
        cases = [(["--run-workers", "0"], "--run-workers: '0'"),
                 (["--run-workers", "65"], "in 1..64"),
                 (["--run-workers", "many"], "--run-workers"),
                 (["--run-queue", "0"], "--run-queue: '0'"),
                 (["--run-queue", "100001"], "in 1..100000"),
                 (["--run-timeout", "0s"], "--run-timeout: '0s'"),
                 (["--run-timeout", "soon"], "1ms..168h"),
                 (["--run-timeout-max", "169h"], "--run-timeout-max"),
                 (["--run-timeout-max", "30m"],
                  "--run-timeout (3600000 ms) is above --run-timeout-max"),
                 (["--run-timeout", "2h", "--run-timeout-max", "1h"],
                  "is above --run-timeout-max"),
                 (["--run-queue"], "needs a value")]
        for args, want in cases:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("clusterd: "))
                self.assertIn(want, r.stderr)
        r = run(env={"CLUSTERD_RUN_QUEUE": "none"})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("CLUSTERD_RUN_QUEUE", r.stderr)

    def test_listen_failure_exit_1(self):
        srv = Server()
        try:
            r = run("--listen", srv.address, "--data-dir",
                    os.path.join(srv.dir, "other"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()

    def test_json_log_lines(self):
        srv = Server("--log-format", "json")
        try:
            try:
                srv.channel.unary_unary("/x.Y/Z")(b"", timeout=5)
            except Exception:
                pass
            self.assertEqual(srv.stop(), 0)
            lines = [json.loads(l) for l in srv.read_log().splitlines()
                     if l.startswith("{")]
            calls = [l for l in lines if l.get("method") == "/x.Y/Z"]
            self.assertEqual(len(calls), 1)
            for key in ["time", "level", "method", "status", "duration_ms",
                        "peer"]:
                self.assertIn(key, calls[0])
            self.assertEqual(calls[0]["status"], "UNIMPLEMENTED")
            self.assertTrue(calls[0]["peer"].startswith("ipv4:127.0.0.1:"))
            self.assertIn("listening on 127.0.0.1:%d" % srv.port,
                          srv.read_log())
        finally:
            srv.cleanup()

    def test_env_twin(self):
        srv = Server(start_timeout=60)
        try:
            self.assertEqual(srv.stop(), 0)
            # CLUSTERD_LOG_LEVEL=warn hides the per-call info lines.
            os.environ["CLUSTERD_LOG_LEVEL"] = "warn"
            try:
                srv.start()
            finally:
                del os.environ["CLUSTERD_LOG_LEVEL"]
            before = srv.read_log().count("method=")
            try:
                srv.channel.unary_unary("/x.Y/Z")(b"", timeout=5)
            except Exception:
                pass
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(srv.read_log().count("method="), before)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
