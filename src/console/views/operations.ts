/** Runs, the outbox, reports and the onboarding-link form. */
export const RUNS = `<% layout('@layout') %>
<form method="get" action="/runs" class="filters" aria-label="Filter runs">
  <label for="r-source">Source<select id="r-source" name="source"><option value="">any</option>
  <% for (const s of it.sources) { %><option value="<%= s %>"<%= it.filter.source === s ? ' selected' : '' %>><%= s %></option><% } %></select></label>
  <label for="r-outcome">Outcome<select id="r-outcome" name="outcome"><option value="">any</option>
  <% for (const o of ['running', 'complete', 'failed']) { %><option value="<%= o %>"<%= it.filter.outcome === o ? ' selected' : '' %>><%= o %></option><% } %></select></label>
  <button type="submit">Filter</button>
</form>
<% if (it.rows.length === 0) { %><p>No runs.</p><% } else { %>
<div class="table-wrap"><table>
<thead><tr><th class="num">Run</th><th>Source</th><th>Mode</th><th>Started (UTC)</th><th class="num">Duration</th><th>Outcome</th><th class="num">Entities</th><th class="num">Events</th><th class="num">API calls</th><th>Error</th></tr></thead>
<tbody>
<% for (const r of it.rows) { %>
<tr><td class="num"><%= r.id %></td><td><%= r.source %></td><td><%= r.mode %></td><td><%= r.started %></td><td class="num"><%= r.duration %></td>
<td class="<%= r.outcome === 'failed' ? 'bad' : r.outcome === 'complete' ? 'ok' : '' %>"><%= r.outcome %></td>
<td class="num"><%= r.entities %></td><td class="num"><%= r.events %></td><td class="num"><%= r.apiCalls %></td><td><%= r.error %></td></tr>
<% } %>
</tbody></table></div><% } %>
<% if (it.olderHref) { %><nav class="pager" aria-label="Pages"><a href="<%= it.olderHref %>" rel="next">Older</a></nav><% } %>
`;

export const OUTBOX = `<% layout('@layout') %>
<p><%= it.pending %> pending, <%= it.failed %> failed<% if (!it.smtp) { %> — SMTP_URL is not set: nothing can be sent<% } %>.</p>
<% if (it.smtp) { %>
<form method="post" action="/outbox/send">
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <button type="submit">Send now</button> <span class="muted">every pending email, even one waiting out a retry delay</span>
</form><% } %>
<% if (it.rows.length > 0) { %>
<div class="table-wrap"><table>
<thead><tr><th class="num">Id</th><th>Status</th><th class="num">Attempts</th><th>Queued (UTC)</th><th>Next attempt / sent</th><th>To</th><th>Subject</th><th>Last error</th></tr></thead>
<tbody>
<% for (const r of it.rows) { %>
<tr><td class="num"><%= r.id %></td><td class="<%= r.status === 'failed' ? 'bad' : '' %>"><%= r.status %></td><td class="num"><%= r.attempts %></td><td><%= r.createdAt %></td><td><%= r.when %></td><td><%= r.to %></td><td><%= r.subject %></td><td><%= r.lastError %></td></tr>
<% } %>
</tbody></table></div><% } %>
<h2>Event deliveries</h2>
<% if (it.subscriptions.length === 0) { %><p>No subscription: set EVENT_WEBHOOK_&lt;NAME&gt;_URL and _SECRET (docs/event-delivery.md).</p><% } else { %>
<div class="table-wrap"><table>
<thead><tr><th>Subscription</th><th class="num">Pending</th><th class="num">Failed</th><th class="num">Delivered</th><th>Oldest pending event (UTC)</th></tr></thead>
<tbody>
<% for (const s of it.subscriptions) { %><tr><td><%= s.name %></td><td class="num"><%= s.pending %></td><td class="num <%= s.failed > 0 ? 'bad' : '' %>"><%= s.failed %></td><td class="num"><%= s.delivered %></td><td><%= s.oldest %></td></tr><% } %>
</tbody></table></div><% } %>
<% if (it.deliveries.length > 0) { %>
<div class="table-wrap"><table>
<thead><tr><th>Subscription</th><th class="num">Event</th><th>Type</th><th>Status</th><th class="num">Attempts</th><th>Next attempt / delivered</th><th>webhook-id</th><th>Last error</th></tr></thead>
<tbody>
<% for (const d of it.deliveries) { %>
<tr><td><%= d.subscription %></td><td class="num"><%= d.eventId %></td><td><%= d.eventType %></td><td class="<%= d.status === 'failed' ? 'bad' : '' %>"><%= d.status %></td><td class="num"><%= d.attempts %></td><td><%= d.when %></td><td><%= d.webhookId %></td><td><%= d.lastError %></td></tr>
<% } %>
</tbody></table></div><% } %>
`;

export const REPORTS = `<% layout('@layout') %>
<p>Each month's conversation report from 99digital's counters (the current month to date).</p>
<ul>
<% for (const m of it.months) { %><li><a href="/reports/<%= m.key %>"><%= m.title %></a></li><% } %>
</ul>
`;

export const REPORT = `<% layout('@layout') %>
<p><a href="/reports/<%= it.month %>/report.csv" download>Download the CSV</a> · <a href="/reports/<%= it.month %>/onboarding.csv" download>Onboarding CSV</a> · <a href="/reports">All months</a></p>
<%/* A frame of our own origin, with no scripts allowed (no allow-scripts): its charts load with the session cookie. */%>
<iframe class="report" src="/reports/<%= it.month %>/report.html" title="Report <%= it.title %>" sandbox="allow-same-origin"></iframe>
`;

export const ONBOARDING = `<% layout('@layout') %>
<% if (!it.enabled) { %><p>99digital is not enabled: <%= it.disabledReason %>.</p><% } else { %>
<section aria-labelledby="h-create">
<h2 id="h-create">Create an onboarding link</h2>
<% if (it.problems.length > 0) { %><div class="error" role="alert"><p>Nothing was sent to 99digital:</p><ul><% for (const p of it.problems) { %><li><%= p %></li><% } %></ul></div><% } %>
<form method="post" action="/onboarding" class="stack">
  <input type="hidden" name="_csrf" value="<%= it.csrf %>">
  <label for="o-number">Number (registered and verified, e.g. 972501234567)<input id="o-number" name="number" inputmode="numeric" value="<%= it.form.number ?? '' %>"></label>
  <label for="o-coex"><span><input id="o-coex" type="checkbox" name="coexistence" value="1"<%= it.form.coexistence ? ' checked' : '' %>> Coexistence instead (a WhatsApp Business app number)</span></label>
  <label for="o-bname">Business name (required)<input id="o-bname" name="businessName" required maxlength="100" value="<%= it.form.businessName ?? '' %>"></label>
  <label for="o-dname">Display name (required, can't be changed later)<input id="o-dname" name="displayName" required maxlength="50" value="<%= it.form.displayName ?? '' %>"></label>
  <label for="o-email">Business email<input id="o-email" name="businessEmail" type="email" value="<%= it.form.businessEmail ?? '' %>"></label>
  <label for="o-bid">Business id<input id="o-bid" name="businessId" value="<%= it.form.businessId ?? '' %>"></label>
  <label for="o-addr">Business address<input id="o-addr" name="businessAddress" value="<%= it.form.businessAddress ?? '' %>"></label>
  <label for="o-ref">Your reference<input id="o-ref" name="reference" value="<%= it.form.reference ?? '' %>"></label>
  <label for="o-msg">Welcome message<input id="o-msg" name="message" value="<%= it.form.message ?? '' %>"></label>
  <button type="submit">Create the link</button>
</form>
</section>
<% if (it.created) { %>
<section aria-labelledby="h-created" class="flash">
<h2 id="h-created">Created</h2>
<p>Onboarding link for <%= it.created.number %> (send it to the business owner):
<% if (it.created.href) { %><a href="<%= it.created.href %>" rel="noreferrer noopener"><%= it.created.link %></a><% } else { %><code><%= it.created.link %></code><% } %></p>
</section>
<% } %>
<h2>Onboardings</h2>
<% if (it.lifecycles.length === 0) { %><p>None yet (or no complete 99digital pull).</p><% } else { %>
<div class="table-wrap"><table><thead><tr><th>Number</th><th>Business</th><th>Stage</th><th class="num">Age</th><th>Created by</th><th>Stuck</th></tr></thead><tbody>
<% for (const l of it.lifecycles) { %><tr><td><a href="<%= l.href %>"><%= l.number %></a></td><td><%= l.business %></td><td><%= l.stage %></td><td class="num"><%= l.age %></td><td><%= l.by %></td><td><%= l.stuck %></td></tr><% } %>
</tbody></table></div><% } %>
<% } %>
`;
