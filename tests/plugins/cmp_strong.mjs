// The US Cluster Mapping project's strong_b and strong10_b, ported from
// clustermapping/cmp at f1b2b67, data/processing/cluster_calcs_mapper.js
// ("mapper") and cluster_calcs_reducer.js ("reducer"), to check the
// specialization plugin's strong modes against (test_specialization_cmp.c).
//
//   node cmp_strong.mjs COHORTS
//
// COHORTS holds, per cohort, a line "cohort K" and one line per cluster:
//   c INDUSTRY EMP TOTAL EST SHARE STRONG STRONG10
// (numbers as %.17g, the last two the plugin's scores), and last "end N"
// with the number of cohorts. Exits 0 only when every flag agrees and the
// cohorts reached the cases the rules turn on (ties at each percentile,
// employment 0, a total of 0, both flags apart).
import fs from 'node:fs';

// d3 v3's quantile (the pipeline pins d3 ^3.5.17: cmp
// data/processing/package.json; d3 src/arrays/quantile.js), kept in its
// order of operations.
function quantile(values, p) {
  const H = (values.length - 1) * p + 1, h = Math.floor(H), v = +values[h - 1], e = H - h;
  return e ? v + e * (values[h] - v) : v;
}

function ascending(a, b) {
  return a < b ? -1 : a > b ? 1 : a >= b ? 0 : NaN;
}

// mapper:67-70 with the industry's US share given (natl_per), and its
// safeSet (mapper:36-42): a non-finite LQ becomes 0.
function lqOf(d) {
  const v = (d.emp / d.total) / d.share;
  return !isNaN(v) && isFinite(v) ? v : 0;
}

// reducer:34-60 over one group (one cluster code: reducer:19-27).
function flag(clusters, seen) {
  const pos = clusters.filter((d) => d.emp > 0);
  const allEmp = pos.map((d) => d.emp).sort(ascending);
  const allEst = pos.map((d) => d.est).sort(ascending);
  const allLq = pos.map((d) => d.lq).sort(ascending);
  const empQ = quantile(allEmp, 0.25), estQ = quantile(allEst, 0.25);
  const lq90 = quantile(allLq, 0.90), lq75 = quantile(allLq, 0.75);
  for (const d of clusters) {
    d.strong = d.lq >= lq75 && d.emp > empQ && d.est > estQ && d.lq >= 1;
    d.strong10 = d.lq >= lq90 && d.emp > empQ && d.est > estQ && d.lq >= 1;
    if (d.lq === lq75 && d.lq >= 1) seen.tie75++;
    if (d.lq === lq90 && d.lq >= 1) seen.tie90++;
    if (d.emp === empQ) seen.tieEmp++;
    if (d.est === estQ) seen.tieEst++;
    if (d.emp === 0) seen.zero++;
    if (d.emp === 0 && d.total === 0) seen.zeroTotal++;
    if (d.strong !== d.strong10) seen.apart++;
    if (d.strong10) seen.strong10++;
  }
}

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
const seen = { tie75: 0, tie90: 0, tieEmp: 0, tieEst: 0, zero: 0, zeroTotal: 0, apart: 0, strong10: 0 };
let cohorts = [], cur = null, end = -1, bad = 0, n = 0;
for (const line of lines) {
  const f = line.split(' ');
  if (f[0] === 'cohort') cohorts.push((cur = { id: f[1], clusters: [] }));
  else if (f[0] === 'c')
    cur.clusters.push({ industry: f[1], emp: +f[2], total: +f[3], est: +f[4], share: +f[5], plugin: f[6], plugin10: f[7] });
  else if (f[0] === 'end') end = +f[1];
}
if (end !== cohorts.length) {
  console.error(`cmp_strong: ${cohorts.length} cohorts read, the file says ${end}`);
  process.exit(1);
}
for (const c of cohorts) {
  const groups = new Map();
  for (const d of c.clusters) {
    d.lq = lqOf(d);
    if (!groups.has(d.industry)) groups.set(d.industry, []);
    groups.get(d.industry).push(d);
  }
  for (const g of groups.values()) flag(g, seen);
  for (const d of c.clusters) {
    n++;
    const want = d.strong ? '1' : '0', want10 = d.strong10 ? '1' : '0';
    if (d.plugin !== want || d.plugin10 !== want10) {
      if (bad++ < 5)
        console.error(`cohort ${c.id}: ${JSON.stringify(d)}: cmp strong ${want} strong10 ${want10}`);
    }
  }
}
const missing = Object.keys(seen).filter((k) => !seen[k]);
console.log(`cmp_strong: ${cohorts.length} cohorts, ${n} clusters, ${bad} disagree; cases ${JSON.stringify(seen)}`);
if (missing.length) console.error(`cmp_strong: the cohorts never reached: ${missing.join(', ')}`);
process.exit(bad || missing.length ? 1 : 0);
