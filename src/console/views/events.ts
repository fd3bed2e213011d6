/** The events list with its filters, pager and exports. */
export const EVENTS = `<% layout('@layout') %>
<form method="get" action="/events" class="filters" role="search" aria-label="Filter events">
  <label for="f-source">Source
    <select id="f-source" name="source"><option value="">any</option>
    <% for (const s of it.sources) { %><option value="<%= s %>"<%= it.filter.source === s ? ' selected' : '' %>><%= s %></option><% } %>
    </select></label>
  <label for="f-type">Type or family (waba.*)<input id="f-type" name="type" value="<%= it.filter.type ?? '' %>" list="types"></label>
  <datalist id="types"><% for (const t of it.types) { %><option value="<%= t %>"></option><% } %></datalist>
  <label for="f-from">From (UTC)<input id="f-from" name="from" type="datetime-local" step="0.001" value="<%= it.form.from %>"></label>
  <label for="f-to">Until (UTC)<input id="f-to" name="to" type="datetime-local" step="0.001" value="<%= it.form.to %>"></label>
  <label for="f-text">Name, id or number<input id="f-text" name="q" value="<%= it.filter.text ?? '' %>"></label>
  <button type="submit">Filter</button>
  <a href="/events">Clear</a>
</form>
<% if (it.problem) { %><p class="error" role="alert"><%= it.problem %></p><% } %>
<% if (it.capped) { %><p class="muted" role="status">The name matches <%= it.capped %> entities or more: these are the events of the first <%= it.capped %> found. Narrow it to see the rest.</p><% } %>
<p>Export this list: <a href="/events.csv?<%= it.query %>">CSV</a> · <a href="/events.jsonl?<%= it.query %>">JSON lines</a></p>
<% if (it.rows.length === 0) { %><p>No events match.</p><% } else { %>
<div class="table-wrap"><table>
<thead><tr><th>When (UTC)</th><th>Type</th><th>Source</th><th>Entity</th><th>What</th></tr></thead>
<tbody>
<% for (const e of it.rows) { %>
<tr>
  <td class="when"><%= e.at %></td>
  <td><%= e.type %></td>
  <td><%= e.source %></td>
  <td><% if (e.href) { %><a href="<%= e.href %>"><%= e.label %></a><% } else { %><%= e.label %><% } %></td>
  <td><%= e.detail %></td>
</tr>
<% } %>
</tbody></table></div>
<% } %>
<nav class="pager" aria-label="Pages">
<% if (it.firstHref) { %><a href="<%= it.firstHref %>">Newest</a><% } %>
<% if (it.olderHref) { %><a href="<%= it.olderHref %>" rel="next">Older</a><% } %>
</nav>
`;
