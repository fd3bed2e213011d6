/**
 * The page frame and the login page. Eta escapes every `<%= %>`; `<%~ %>` (raw) appears only for
 * `it.body`, the already-escaped output of another template of ours.
 */
export const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.title %> · waba-sync</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
<% if (it.user) { %>
<header>
  <span class="brand">waba-sync</span>
  <nav aria-label="Console">
    <a href="/">Overview</a>
    <a href="/events">Events</a>
    <a href="/search">Search</a>
    <a href="/runs">Runs</a>
    <a href="/outbox">Outbox</a>
    <a href="/reports">Reports</a>
    <a href="/onboarding">Onboarding</a>
  </nav>
  <form method="post" action="/logout" class="inline">
    <input type="hidden" name="_csrf" value="<%= it.csrf %>">
    <button type="submit" class="secondary">Sign out <%= it.user %></button>
  </form>
</header>
<% } %>
<main>
<h1><%= it.title %></h1>
<% if (it.flash) { %><p class="flash" role="status"><%= it.flash %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>
`;

export const LOGIN = `<% layout('@layout') %>
<form method="post" action="/login" class="login">
  <% if (it.problem) { %><p class="error" role="alert"><%= it.problem %></p><% } %>
  <input type="hidden" name="_csrf" value="<%= it.loginToken %>">
  <label for="user">User name <input id="user" name="user" autocomplete="username" required autofocus></label>
  <label for="password">Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
`;

export const NOT_FOUND = `<% layout('@layout') %>
<p><%= it.message %></p>
<p><a href="/">Back to the overview</a></p>
`;
