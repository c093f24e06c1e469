// Checks Kubernetes manifests offline, as an API server with strict field validation would:
//   node interop/k8s-manifest-check.mjs PATH...   (files, or folders searched for *.yaml / *.yml)
// Each object is checked against the Kubernetes OpenAPI schema compiled into kubernetes-models
// (types, required fields, formats), and every field name against the API's type map from the
// official client (@kubernetes/client-node), which the schemas leave open: a misspelt
// `readOnlyRootFilesystem` would otherwise pass and silently turn the setting off.
// Kustomization and Component files are not API objects: only the files they name must exist.
// Files named cmcp-config.yaml are the gateway's own config, which `cmcp validate-config` checks.
// Prints one line per problem and exits 1 if there is any; an apiVersion/kind it has no schema
// for is a problem too, never skipped.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

const MODELS = "@kubernetes/client-node/dist/gen/models";
const problems = [];
let objects = 0;

function yamlFiles(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).sort().flatMap((name) => yamlFiles(join(path, name)));
  }
  return /\.ya?ml$/.test(path) && !path.endsWith("cmcp-config.yaml") ? [path] : [];
}

// "apps/v1" -> ["apps", "v1"]; "v1" -> ["", "v1"]
function groupAndVersion(apiVersion) {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

async function schemaModel(apiVersion, kind) {
  const [group, version] = groupAndVersion(apiVersion);
  const path = ["kubernetes-models", group, version, kind].filter(Boolean).join("/");
  try {
    return (await import(path))[kind];
  } catch {
    return undefined;
  }
}

async function typeMap(type) {
  try {
    const module = await import(`${MODELS}/${type}.js`);
    return module[type]?.getAttributeTypeMap();
  } catch {
    return undefined;
  }
}

const SCALARS = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString"]);

// Reports every key of `value` that the API type `type` does not have, recursively.
async function unknownFields(value, type, path, report) {
  if (value === null || value === undefined || SCALARS.has(type)) {
    return;
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) await unknownFields(item, array[1], `${path}[${i}]`, report);
    }
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [key, item] of Object.entries(value)) await unknownFields(item, map[1], `${path}.${key}`, report);
    return;
  }
  const attributes = await typeMap(type);
  if (!attributes) {
    report(`${path}: no type map for ${type}; cannot check its fields`);
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    return; // a wrong type is the schema check's to report
  }
  const byName = new Map(attributes.map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    if (!byName.has(key)) {
      report(`${path}.${key}: unknown field of ${type}`);
    } else {
      await unknownFields(item, byName.get(key), `${path}.${key}`, report);
    }
  }
}

function checkKustomization(doc, file, report) {
  const folder = dirname(file);
  const named = [
    ...(doc.resources ?? []),
    ...(doc.components ?? []),
    ...(doc.configMapGenerator ?? []).flatMap((g) => g.files ?? []),
    ...(doc.secretGenerator ?? []).flatMap((g) => g.files ?? []),
  ].map((entry) => entry.replace(/^[^=]*=/, "")); // "key=path" names the file after "="
  for (const entry of named) {
    if (!existsSync(resolve(folder, entry))) report(`names ${entry}, which does not exist`);
  }
}

async function checkObject(doc, report) {
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    report("apiVersion and kind must be strings");
    return;
  }
  const Model = await schemaModel(apiVersion, kind);
  if (!Model) {
    report(`no schema for ${apiVersion} ${kind}`);
    return;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    report(e.message);
  }
  const [, version] = groupAndVersion(apiVersion);
  const type = version.charAt(0).toUpperCase() + version.slice(1) + kind;
  await unknownFields(doc, type, kind, report);
}

for (const arg of process.argv.slice(2)) {
  for (const file of yamlFiles(arg)) {
    const fromHere = relative(process.cwd(), file);
    const shown = fromHere && !fromHere.startsWith("..") ? fromHere : file;
    const documents = parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
    for (const document of documents) {
      if (document.errors.length > 0) {
        problems.push(`${shown}: ${document.errors[0].message}`);
        continue;
      }
      const doc = document.toJS();
      if (doc === null || doc === undefined) continue;
      const name = `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
      const report = (message) => problems.push(`${shown}: ${name}: ${message}`);
      if (typeof doc !== "object" || Array.isArray(doc)) {
        problems.push(`${shown}: a document must be a mapping`);
      } else if (String(doc.apiVersion).startsWith("kustomize.config.k8s.io/")) {
        checkKustomization(doc, file, report);
      } else {
        objects++;
        await checkObject(doc, report);
      }
    }
  }
}

for (const problem of problems) console.log(problem);
console.log(`k8s-manifest-check: ${objects} objects checked, ${problems.length} problems`);
process.exit(problems.length === 0 && objects > 0 ? 0 : 1);
