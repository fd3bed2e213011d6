/** The console's one stylesheet (served as /console.css; no inline styles, no fonts or anything from other hosts). */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #555d66; --line: #d5d9de; --accent: #0b5cad; --bad: #a4161a; --good: #1b6e34; --warn-bg: #fff3cd; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .5rem 1rem; background: #f3f5f7; border-bottom: 1px solid var(--line); }
header nav { display: flex; flex-wrap: wrap; gap: .25rem .9rem; }
header .brand { font-weight: 700; margin-right: .5rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f0a500; outline-offset: 1px; }
main { padding: 1rem; max-width: 80rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f5f7; }
td.when { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .88rem; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; border: 1px solid var(--line); }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); gap: .15rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid #8a939c; border-radius: 4px; background: #fff; color: var(--ink); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
form.inline { display: inline; }
.flash { background: #e7f1fb; border-left: 4px solid var(--accent); padding: .5rem .75rem; }
.error { background: #fdecea; border-left: 4px solid var(--bad); padding: .5rem .75rem; }
.ok { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem; }
.card h2 { margin-top: 0; }
ol.timeline { list-style: none; padding: 0; border-left: 3px solid var(--line); }
ol.timeline li { margin: 0 0 1rem .75rem; }
ol.timeline li.current { font-weight: 600; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; }
iframe.report { width: 100%; height: 80vh; border: 1px solid var(--line); }
.login { max-width: 22rem; margin: 3rem auto; display: flex; flex-direction: column; gap: .75rem; }
.stack { display: flex; flex-direction: column; gap: .6rem; max-width: 36rem; }
@media (max-width: 40rem) { main { padding: .5rem; } th, td { padding: .3rem; } }
`;
