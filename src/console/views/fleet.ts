/** Search and the entity page. */
export const SEARCH = `<% layout('@layout') %>
<form method="get" action="/search" class="filters" role="search">
  <label for="q">WABA, number, onboarding, client or channel: id, name or phone number in any format
    <input id="q" name="q" value="<%= it.q %>" size="40" autofocus></label>
  <button type="submit">Search</button>
</form>
<% if (it.q) { %>
<% if (it.results.length === 0) { %><p>Nothing found for “<%= it.q %>”.</p><% } else { %>
<p><%= it.results.length %> found<%= it.results.length >= it.limit ? ' (the first ' + it.limit + ')' : '' %>.</p>
<div class="table-wrap"><table>
<thead><tr><th>Name</th><th>Source</th><th>Kind</th><th>Id</th><th>Number</th><th>Belongs to</th></tr></thead>
<tbody>
<% for (const r of it.results) { %>
<tr><td><a href="<%= r.href %>"><%= r.name %></a></td><td><%= r.source %></td><td><%= r.kind %></td><td><code><%= r.key %></code></td><td><%= r.number %></td><td><%= r.owner %></td></tr>
<% } %>
</tbody></table></div>
<% } %>
<% } %>
`;

export const ENTITY = `<% layout('@layout') %>
<p><%= it.source %> · <%= it.kind %> · <code><%= it.key %></code> · <%= it.removed ? 'removed (last seen state below)' : 'current' %></p>
<% if (it.links.length > 0) { %>
<section aria-labelledby="h-links">
<h2 id="h-links">The same business elsewhere</h2>
<ul>
<% for (const l of it.links) { %><li><a href="<%= l.href %>"><%= l.name %></a> — <%= l.source %> <%= l.kind %> <code><%= l.key %></code> <span class="muted">(<%= l.why %>)</span></li><% } %>
</ul>
</section>
<% } %>
<section aria-labelledby="h-state">
<h2 id="h-state"><%= it.asOf ? 'State as of ' + it.asOf + ' UTC' : 'Current state' %></h2>
<form method="get" action="<%= it.self %>" class="filters">
  <label for="at">As of (UTC)<input id="at" name="at" type="datetime-local" step="0.001" value="<%= it.asOfInput %>"></label>
  <button type="submit">Show</button>
  <% if (it.asOf) { %><a href="<%= it.self %>">Current</a><% } %>
</form>
<% if (it.state === null) { %><p>It did not exist then (first seen <%= it.firstSeen %>).</p><% } else { %>
<p class="muted">Version valid from <%= it.state.from %><%= it.state.to ? ' until ' + it.state.to : '' %>.</p>
<pre><%= it.state.json %></pre>
<% } %>
</section>
<section aria-labelledby="h-timeline">
<h2 id="h-timeline">History (<%= it.versionCount > it.versions.length ? 'the latest ' + it.versions.length + ' of ' + it.versionCount + ' versions' : it.versions.length + (it.versions.length === 1 ? ' version' : ' versions') %>)</h2>
<ol class="timeline">
<% for (const v of it.versions) { %>
<li<%= v.current ? ' class=current' : '' %>>
  <a href="<%= it.self %>?at=<%= encodeURIComponent(v.from) %>"><%= v.from %></a><%= v.to ? ' → ' + v.to : ' → now' %>: <%= v.summary %>
  <% if (v.changes.length > 0) { %><ul><% for (const c of v.changes) { %><li><code><%= c.field %></code>: <%= c.from %> → <%= c.to %></li><% } %></ul><% } %>
</li>
<% } %>
</ol>
</section>
<section aria-labelledby="h-events">
<h2 id="h-events">Events about it</h2>
<% if (it.eventsCut) { %><p class="muted">The latest <%= it.eventsCut %>; <a href="/events?source=<%= encodeURIComponent(it.sourceName) %>&amp;q=<%= encodeURIComponent(it.key) %>">all of them</a>.</p><% } %>
<% if (it.events.length === 0) { %><p>None.</p><% } else { %>
<div class="table-wrap"><table><thead><tr><th>When (UTC)</th><th>Type</th><th>What</th></tr></thead><tbody>
<% for (const e of it.events) { %><tr><td><%= e.at %></td><td><%= e.type %></td><td><%= e.detail %></td></tr><% } %>
</tbody></table></div><% } %>
</section>
`;
