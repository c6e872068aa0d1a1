"""PluginService against the real clusterd: a plugin directory with copies
of the built-in plugins and bad files (text named .so, world-writable copy,
duplicate name, wrong ABI major), ListPlugins shows the good ones with kind
and params and the refusals with their reasons; a plugin added afterwards
appears after ReloadPlugins; the registry keeps answering throughout. A
server without --plugin-dir lists no plugins."""

import os
import shutil
import stat
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs  # noqa: E402

PLUG = "/clusters.v1.PluginService/"
BUILTINS = {"indicator": "PLUGIN_KIND_QUANTITATIVE", "st_output": "PLUGIN_KIND_QUANTITATIVE",
            "growth": "PLUGIN_KIND_QUANTITATIVE", "specialization": "PLUGIN_KIND_QUANTITATIVE",
            "topsis": "PLUGIN_KIND_QUANTITATIVE", "promethee": "PLUGIN_KIND_QUANTITATIVE",
            "panel": "PLUGIN_KIND_QUALITATIVE",
            "rubric": "PLUGIN_KIND_QUALITATIVE", "mcda": "PLUGIN_KIND_QUANTITATIVE"}
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
FIXTURES = os.environ["CLUSTERD_PLUGIN_FIXTURES"]


def copy_plugin(src, dst, mode=0o644):
    shutil.copyfile(src, dst)
    os.chmod(dst, mode)


class Plugins(unittest.TestCase):
    def setUp(self):
        (self.pb, _, _, self.plb) = stubs()
        self.tmp = tempfile.mkdtemp(prefix="clusterd-plugins-")
        self.dir = os.path.join(self.tmp, "plugins")
        os.mkdir(self.dir, 0o700)
        for name in BUILTINS:
            copy_plugin(os.path.join(BUILD_DIR, name + ".so"),
                        os.path.join(self.dir, name + ".so"))
        with open(os.path.join(self.dir, "bad.so"), "w") as f:
            f.write("not a shared object\n")
        os.chmod(os.path.join(self.dir, "bad.so"), 0o644)
        # Taken after indicator.so (name order): a duplicate name.
        copy_plugin(os.path.join(BUILD_DIR, "indicator.so"),
                    os.path.join(self.dir, "indicator_copy.so"))
        copy_plugin(os.path.join(FIXTURES, "fx_good.so"),
                    os.path.join(self.dir, "writable.so"), 0o644)
        os.chmod(os.path.join(self.dir, "writable.so"),
                 0o644 | stat.S_IWOTH)
        # Built for ABI 1: refused, with the remedy.
        copy_plugin(os.path.join(FIXTURES, "fx_abi1.so"),
                    os.path.join(self.dir, "abi1.so"))
        self.srv = Server("--plugin-dir", self.dir)

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def list_plugins(self):
        return self.srv.unary(PLUG + "ListPlugins",
                              self.plb.ListPluginsRequest,
                              self.plb.ListPluginsResponse)(
            self.plb.ListPluginsRequest(), timeout=60)

    def reload_plugins(self):
        return self.srv.unary(PLUG + "ReloadPlugins",
                              self.plb.ReloadPluginsRequest,
                              self.plb.ListPluginsResponse)(
            self.plb.ReloadPluginsRequest(), timeout=60)

    def registry_answers(self):
        r = self.srv.unary(REG + "ListClusters",
                           self.pb.ListClustersRequest,
                           self.pb.ListClustersResponse)(
            self.pb.ListClustersRequest(), timeout=60)
        self.assertEqual(len(r.clusters), 0)

    def refused(self, resp):
        out = {}
        for line in resp.refused:
            f, _, reason = line.partition(": ")
            self.assertTrue(reason, line)
            out[f] = reason
        return out

    def check_builtins(self, resp):
        by_name = {p.name: p for p in resp.plugins}
        for name, kind in BUILTINS.items():
            self.assertIn(name, by_name)
            p = by_name[name]
            self.assertEqual(self.plb.PluginKind.Name(p.kind), kind, name)
            self.assertEqual(p.file, name + ".so")
            self.assertEqual(p.abi_major, 2)
            self.assertTrue(p.version and p.description, name)
            self.assertTrue(p.params, name)
            for q in p.params:
                self.assertTrue(q.name and q.type and q.description,
                                (name, q.name))
        params = {q.name: q for q in by_name["indicator"].params}
        self.assertTrue(params["indicator"].required)
        self.assertEqual(params["direction"].type, "enum")
        self.assertEqual(params["direction"].default_value, "higher")
        self.assertEqual(sorted(params["direction"].choices),
                         ["higher", "lower"])
        self.assertEqual(params["skew_threshold"].default_value, "2.25")
        rparams = {q.name: q for q in by_name["rubric"].params}
        self.assertTrue(rparams["label"].required)
        self.assertTrue(rparams["points"].required)

    def test_list_reload(self):
        r = self.list_plugins()
        self.assertEqual(sorted(p.name for p in r.plugins), sorted(BUILTINS))
        self.check_builtins(r)
        ref = self.refused(r)
        self.assertEqual(sorted(ref), ["abi1.so", "bad.so",
                                       "indicator_copy.so", "writable.so"])
        self.assertIn("shared object", ref["bad.so"])
        self.assertIn("world-writable", ref["writable.so"])
        self.assertIn("indicator", ref["indicator_copy.so"])
        self.assertIn("built for plugin ABI 1", ref["abi1.so"])
        self.assertIn("rebuild it against clusterplugin.h ABI 2",
                      ref["abi1.so"])
        log = self.srv.read_log()
        for f in ref:
            self.assertIn(os.path.join(self.dir, f), log)
        self.registry_answers()

        copy_plugin(os.path.join(FIXTURES, "fx_other.so"),
                    os.path.join(self.dir, "other.so"))
        os.unlink(os.path.join(self.dir, "bad.so"))
        r = self.reload_plugins()
        names = sorted(p.name for p in r.plugins)
        self.assertEqual(names, sorted(list(BUILTINS) + ["fx_other"]))
        self.check_builtins(r)
        self.assertEqual(sorted(self.refused(r)),
                         ["abi1.so", "indicator_copy.so", "writable.so"])
        # ListPlugins now shows the reloaded generation.
        self.assertEqual(sorted(p.name for p in self.list_plugins().plugins),
                         names)
        self.registry_answers()

    def test_reload_of_a_vanished_directory_fails_and_keeps_plugins(self):
        shutil.rmtree(self.dir)
        with self.assertRaises(grpc.RpcError) as e:
            self.reload_plugins()
        # CD_EIO, mapped by rpc_status.
        self.assertEqual(e.exception.code(), grpc.StatusCode.INTERNAL)
        self.assertIn("plugin directory", e.exception.details())
        self.assertEqual(sorted(p.name for p in self.list_plugins().plugins),
                         sorted(BUILTINS))
        self.registry_answers()


class NoPluginDir(unittest.TestCase):
    def test_empty(self):
        (_, _, _, plb) = stubs()
        srv = Server()
        try:
            for m, req in (("ListPlugins", plb.ListPluginsRequest),
                           ("ReloadPlugins", plb.ReloadPluginsRequest)):
                r = srv.unary(PLUG + m, req, plb.ListPluginsResponse)(
                    req(), timeout=60)
                self.assertEqual(len(r.plugins), 0)
                self.assertEqual(len(r.refused), 0)
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
