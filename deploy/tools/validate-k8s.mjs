// Validates Kubernetes manifests offline against the Kubernetes API's
// schema, as the API server would before accepting them.
//
//   node deploy/tools/validate-k8s.mjs FILE.yaml...
//
// Each document of each file is checked twice:
//   1. the schema: kubernetes-models' validators, compiled with ajv from
//      the OpenAPI definitions of Kubernetes (and of the Prometheus
//      Operator's CRDs for monitoring.coreos.com): types, formats, enums,
//      required fields;
//   2. unknown fields, which those validators let through and the API
//      server refuses (strict field validation): every key must be a
//      field of the object's type in kubernetes-models' type declarations,
//      read with the TypeScript compiler.
// YAML is read as kubectl reads it (YAML 1.1: 0440 is octal).
// Prints one line per document; exit status 1 if any is invalid.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const require = createRequire(import.meta.url);

// apiVersion -> the package path of its models.
function modelPath(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/"))
    return "@kubernetes-models/prometheus-operator/" + apiVersion;
  return "kubernetes-models/" + apiVersion;
}

function loadModel(apiVersion, kind) {
  let mod, file;
  try {
    file = require.resolve(modelPath(apiVersion));
    mod = require(file);
  } catch {
    return null;
  }
  if (typeof mod[kind] !== "function") return null;
  return { Model: mod[kind], dts: path.join(path.dirname(file), kind + ".d.ts") };
}

// ------------------------------------------------------ unknown fields
const programs = new Map();
function declaredType(dts, kind) {
  let p = programs.get(dts);
  if (!p) {
    const program = ts.createProgram([dts], {
      strict: true, noEmit: true, skipLibCheck: true,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
    });
    p = { program, checker: program.getTypeChecker() };
    programs.set(dts, p);
  }
  const sf = p.program.getSourceFile(dts);
  const sym = p.checker.getSymbolAtLocation(sf);
  const iface = sym && p.checker.getExportsOfModule(sym)
    .find((s) => s.name === "I" + kind);
  if (!iface) throw new Error(`no interface I${kind} in ${dts}`);
  return { checker: p.checker, type: p.checker.getDeclaredTypeOfSymbol(iface) };
}

function unknownFields(checker, value, type, where, out) {
  type = checker.getNonNullableType(type);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const members = type.isUnion() ? type.types : [type];
  if (Array.isArray(value)) {
    for (const t of members) {
      if (checker.isArrayType(t)) {
        const elem = checker.getTypeArguments(t)[0];
        value.forEach((v, i) => unknownFields(checker, v, elem, `${where}[${i}]`, out));
        return;
      }
    }
    return;
  }
  if (value === null || typeof value !== "object") return;
  const objects = members.filter((t) => t.flags & ts.TypeFlags.Object);
  if (!objects.length) return;
  for (const [key, v] of Object.entries(value)) {
    let fieldType = null;
    for (const t of objects) {
      const prop = checker.getPropertyOfType(t, key);
      if (prop) {
        fieldType = checker.getTypeOfSymbolAtLocation(
          prop, prop.valueDeclaration ?? prop.declarations?.[0]);
        break;
      }
      const index = checker.getIndexTypeOfType(t, ts.IndexKind.String);
      if (index) {
        fieldType = index;
        break;
      }
    }
    if (!fieldType) {
      out.push(`${where}.${key}: unknown field`);
      continue;
    }
    unknownFields(checker, v, fieldType, `${where}.${key}`, out);
  }
}

// --------------------------------------------------------------- main
let bad = 0, count = 0;
const files = process.argv.slice(2);
if (!files.length) {
  console.error("usage: node validate-k8s.mjs FILE.yaml...");
  process.exit(2);
}
for (const file of files) {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" });
  for (const [i, doc] of docs.entries()) {
    const at = `${file}#${i + 1}`;
    if (doc.errors.length) {
      console.log(`${at}: YAML: ${doc.errors[0].message}`);
      bad++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;   // an empty document
    count++;
    const { apiVersion, kind } = obj;
    const name = obj.metadata?.name ?? "(no name)";
    const model = apiVersion && kind && loadModel(apiVersion, kind);
    if (!model) {
      console.log(`${at}: ${apiVersion}/${kind} ${name}: no schema for this kind`);
      bad++;
      continue;
    }
    const problems = [];
    try {
      new model.Model(obj).validate();
    } catch (e) {
      problems.push(...String(e.message).split(", "));
    }
    const { checker, type } = declaredType(model.dts, kind);
    unknownFields(checker, obj, type, "", problems);
    if (problems.length) {
      bad++;
      console.log(`${at}: ${kind} ${name}: INVALID`);
      for (const p of problems) console.log(`  ${p}`);
    } else {
      console.log(`${at}: ${kind} ${name}: valid (${apiVersion})`);
    }
  }
}
console.log(`validate-k8s: ${count} documents, ${bad} invalid`);
process.exit(bad ? 1 : 0);
