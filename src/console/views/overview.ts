/** Overview: per source, the last 24 hours of events, the outbox, the schedule, the webhook intake. */
export const OVERVIEW = `<% layout('@layout') %>
<h2>Sources</h2>
<div class="table-wrap"><table>
<thead><tr><th>Source</th><th>State</th><th>Health</th><th>Last pull (UTC)</th><th>Last complete (UTC)</th><th>Last complete full (UTC)</th><th class="num">Failures since</th><th>Entities</th><th>Sync</th></tr></thead>
<tbody>
<% for (const s of it.sources) { %>
<tr>
  <td><a href="/runs?source=<%= s.name %>"><%= s.label %></a></td>
  <td><%= s.enabled ? 'enabled' : 'disabled' %><% if (s.disabledReason) { %> <span class="muted">(<%= s.disabledReason %>)</span><% } %></td>
  <td><% if (s.health === 'fresh') { %><span class="ok">fresh</span><% } else if (s.health === 'stale') { %><span class="bad"><%= s.healthDetail %></span><% } else { %>-<% } %></td>
  <td><%= s.lastRun %></td>
  <td><%= s.lastComplete %></td>
  <td><%= s.lastCompleteFull %></td>
  <td class="num"><%= s.failures %></td>
  <td><%= s.entities %></td>
  <td><% if (s.enabled) { %>
    <form method="post" action="/sources/<%= s.name %>/sync" class="inline">
      <input type="hidden" name="_csrf" value="<%= it.csrf %>">
      <button type="submit" class="secondary" aria-label="Sync <%= s.label %> now">Sync now</button>
    </form><% } %></td>
</tr>
<% } %>
</tbody></table></div>
<div class="cards">
<section class="card" aria-labelledby="h-events">
<h2 id="h-events">Events, last 24 hours</h2>
<% if (it.eventsByType.length === 0) { %><p>None.</p><% } else { %>
<table><thead><tr><th>Type</th><th class="num">Events</th></tr></thead><tbody>
<% for (const e of it.eventsByType) { %><tr><td><a href="/events?type=<%= encodeURIComponent(e.type) %>&amp;from=<%= encodeURIComponent(it.since) %>"><%= e.type %></a></td><td class="num"><%= e.count %></td></tr><% } %>
</tbody></table><% } %>
</section>
<section class="card" aria-labelledby="h-outbox">
<h2 id="h-outbox">Outbox</h2>
<p><a href="/outbox"><%= it.outbox.pending %> pending, <%= it.outbox.failed %> failed</a><% if (!it.outbox.smtp) { %> <span class="muted">(SMTP_URL is not set: nothing is sent)</span><% } %></p>
</section>
<section class="card" aria-labelledby="h-schedule">
<h2 id="h-schedule">Next scheduled runs (<%= it.timezone %>)</h2>
<table><thead><tr><th>Job</th><th>Next run</th></tr></thead><tbody>
<% for (const j of it.schedule) { %><tr><td><%= j.name %> <span class="muted"><code><%= j.cron %></code></span></td><td><%= j.next %></td></tr><% } %>
</tbody></table>
</section>
<% if (it.intake) { %>
<section class="card" aria-labelledby="h-intake">
<h2 id="h-intake">Webhook intake</h2>
<p class="muted"><%= it.intake.listening %></p>
<% if (it.intake.rows.length > 0) { %>
<table><thead><tr><th>Upstream</th><th>Last delivery</th><th class="num">Backlog</th></tr></thead><tbody>
<% for (const r of it.intake.rows) { %><tr><td><%= r.upstream %></td><td><%= r.last %></td><td class="num"><%= r.backlog %></td></tr><% } %>
</tbody></table><% } %>
</section>
<% } %>
</div>
`;
