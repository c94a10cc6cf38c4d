"use strict";
// Rumbo sandbox page: polls /api/state, renders a tiny Slack, posts what the user does.

const S = {
  user: localStorage.getItem("rumbo.user") || "",
  channel: localStorage.getItem("rumbo.channel") || "",
  page: localStorage.getItem("rumbo.page") === "home" ? "home" : "channel",
  tab: "messages",  // the channel's tab: its messages or its canvas
  data: null,
  mainKey: null,    // version|user|channel|page last rendered
  usersKey: null,   // users list last put in the switcher
  modalKey: null,   // user|view id|view content last built in the overlay
  localErrors: {},  // errors of the last submit (or client-side checks) for the top view
  scrollToEnd: false,
  busy: false,
  again: false,
};
let uid = 0;

const $ = (id) => document.getElementById(id);

// Builds an element; strings among children become text nodes (never HTML).
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function showLine(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// --- talking to the server -----------------------------------------------------------------

async function api(path, body) {
  const init = body === undefined ? {cache: "no-store"} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  try {
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) return {...data, ok: false, error: data.error || `HTTP ${response.status}`};
    return data;
  } catch (error) {
    return {ok: false, error: "The sandbox server is not reachable."};
  }
}

async function refresh() {
  if (S.busy) { S.again = true; return; }
  S.busy = true;
  try {
    do {
      S.again = false;
      const asked = {user: S.user, channel: S.channel};
      const query = new URLSearchParams(Object.entries(asked).filter(([, v]) => v));
      const data = await api(`/api/state?${query}`);
      if (data.version === undefined) { showLine($("offline"), data.error || "No state"); continue; }
      showLine($("offline"), "");
      // A switch while the request was out: that answer belongs to the old user/channel.
      if (asked.user !== S.user || asked.channel !== S.channel) { S.again = true; continue; }
      if (adoptDefaults(data)) { S.again = true; continue; }
      render(data);
    } while (S.again);
  } finally {
    S.busy = false;
  }
}

// Falls back to the first member / first channel when the stored ones no longer exist.
function adoptDefaults(data) {
  let changed = false;
  const users = data.users || [], channels = data.channels || [];
  if (users.length && !users.some((u) => u.id === S.user)) {
    S.user = (users.find((u) => !u.guest) || users[0]).id;
    changed = true;
  }
  if (channels.length && !channels.some((c) => c.id === S.channel)) {
    S.channel = channels[0].id;
    changed = true;
  }
  if (changed) save();
  return changed;
}

function save() {
  localStorage.setItem("rumbo.user", S.user);
  localStorage.setItem("rumbo.channel", S.channel);
  localStorage.setItem("rumbo.page", S.page);
}

async function act(ctx, el, extra) {
  if (el.confirm && !window.confirm(confirmText(el.confirm))) return;
  const body = {user: S.user, action_id: el.action_id, where: ctx.where, ...extra};
  if (ctx.where === "message" || ctx.where === "ephemeral") {
    body.channel = ctx.channel;
    body.message_ts = ctx.message_ts;
  }
  if (ctx.view_id) body.view_id = ctx.view_id;
  if (ctx.block_id) body.block_id = ctx.block_id;
  const result = await api("/api/click", body);
  const line = ctx.where === "view" ? $("modal-error") : $("action-error");
  showLine(line, result.ok ? "" : result.error || "The app did not accept that action.");
  refresh();
}

function confirmText(confirm) {
  const title = confirm.title && confirm.title.text;
  const text = confirm.text && confirm.text.text;
  return [title, text].filter(Boolean).join("\n\n") || "Are you sure?";
}

// --- rendering the page --------------------------------------------------------------------

// The page's own words, in the language of the person it is shown as (Slack's own client
// speaks its user's language too); Rumbo's words come from Rumbo.
const PAGE_ES = {
  "Channels": "Canales", "Apps": "Aplicaciones", "App Home": "Inicio de la app",
  "You are:": "Eres:", "Sandbox clock": "Reloj del sandbox", "+10 minutes": "+10 minutos",
  "+1 hour": "+1 hora", "+1 day": "+1 día", "+7 days": "+7 días",
  "Reset sandbox": "Reiniciar el sandbox", " (optional)": " (opcional)", " (guest)": " (invitada)",
  "Nothing was due.": "No había nada pendiente.", "Sandbox reset.": "Sandbox reiniciado.",
  "scheduled message(s) sent.": "mensaje(s) programado(s) enviado(s).",
  "Try": "Prueba", "· Enter sends": "· Intro envía",
  "Message #{channel} — e.g. /plan help": "Mensaje a #{channel} — p. ej., /plan help",
  "Messages": "Mensajes", "Canvas": "Lienzo",
  "This channel has no canvas yet.": "Este canal aún no tiene lienzo.",
};

function viewerLocale() {
  const user = ((S.data && S.data.users) || []).find((u) => u.id === S.user);
  return (user && user.locale) || "en-US";
}

function t(text) {
  return viewerLocale().startsWith("es") ? PAGE_ES[text] || text : text;
}

function translatePage() {
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.dataset.i18nKey = node.dataset.i18nKey || node.textContent.trim();
    node.textContent = t(node.dataset.i18nKey);
  }
  document.documentElement.lang = viewerLocale().slice(0, 2);
}

function render(data) {
  S.data = data;
  translatePage();
  $("clock").textContent = formatClock(data.clock);
  $("clock").title = data.clock || "";
  const key = [data.version, S.user, S.channel, S.page, S.tab].join("|");
  if (key === S.mainKey) return;
  S.mainKey = key;
  renderSidebar(data);
  renderMain(data);
  renderModal(data);
}

function renderSidebar(data) {
  const list = $("channel-list");
  list.replaceChildren(...(data.channels || []).map((c) => h("li", {},
    h("a", {href: "#", class: "nav-item" + (S.page === "channel" && c.id === S.channel ? " active" : ""),
      "data-channel-id": c.id, onclick: (e) => { e.preventDefault(); go("channel", c.id); }},
    "# " + c.name))));
  $("home-link").classList.toggle("active", S.page === "home");

  // Rebuild the switcher only when the users change, so an open dropdown is left alone.
  const users = data.users || [];
  const usersKey = JSON.stringify(users);
  if (usersKey !== S.usersKey) {
    S.usersKey = usersKey;
    $("user-switch").replaceChildren(...users.map((u) =>
      h("option", {value: u.id}, userLabel(u) + (u.guest ? t(" (guest)") : ""))));
  }
  $("user-switch").value = S.user;
}

function renderMain(data) {
  const home = S.page === "home";
  const channel = (data.channels || []).find((c) => c.id === S.channel);
  const name = channel ? channel.name : S.channel;
  $("main-title").textContent = home ? "Rumbo — App Home" : "# " + name;
  const canvas = !home && S.tab === "canvas";
  $("messages").hidden = home || canvas;
  $("canvas").hidden = !canvas;
  $("tabs").hidden = home;
  $("tab-messages").classList.toggle("active", !canvas);
  $("tab-canvas").classList.toggle("active", canvas);
  $("composer").hidden = home;
  $("home").hidden = !home;
  $("command-input").placeholder = t("Message #{channel} — e.g. /plan help")
    .replace("{channel}", name);
  if (home) return renderHome(data.home);
  if (canvas) return renderCanvas(data.canvas);

  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const items = [
    ...(data.messages || []).map((m) => messageNode(m, false)),
    ...(data.ephemerals || []).map((m) => messageNode(m, true)),
  ].sort((a, b) => parseFloat(a.dataset.ts) - parseFloat(b.dataset.ts));
  box.replaceChildren(...(items.length ? items
    : [h("div", {class: "empty"}, "No messages yet. Try typing /plan help below.")]));
  if (atBottom || S.scrollToEnd) box.scrollTop = box.scrollHeight;
  S.scrollToEnd = false;
}

function renderCanvas(canvas) {
  const node = $("canvas");
  if (!canvas) {
    node.replaceChildren(h("div", {class: "empty"}, t("This channel has no canvas yet.")));
    return;
  }
  node.innerHTML = canvasHtml(canvas.markdown);  // canvasHtml() escapes all it does not build
}

// Canvas markdown, as Slack's canvases show it: headings, nested bullets, quotes, bold,
// italics, code, and people as ![](@U…). Everything else is text.
function canvasHtml(markdown) {
  let html = "", depth = 0;
  const close = (to) => { while (depth > to) { html += "</ul>"; depth -= 1; } };
  for (const raw of String(markdown || "").split("\n")) {
    const heading = /^(#{1,3}) (.*)$/.exec(raw);
    const item = /^( *)- (.*)$/.exec(raw);
    if (item) {
      const level = Math.floor(item[1].length / 2) + 1;
      while (depth < level) { html += "<ul>"; depth += 1; }
      close(level);
      html += `<li>${canvasInline(item[2])}</li>`;
      continue;
    }
    close(0);
    if (heading) html += `<h${heading[1].length}>${canvasInline(heading[2])}</h${heading[1].length}>`;
    else if (raw.startsWith("> ")) html += `<blockquote>${canvasInline(raw.slice(2))}</blockquote>`;
    else if (raw.trim()) html += `<p>${canvasInline(raw)}</p>`;
  }
  close(0);
  return html;
}

function canvasInline(text) {
  const parked = [];
  const park = (piece) => `\u0000${parked.push(piece) - 1}\u0000`;
  let s = String(text).replace(/\u0000/g, "");
  s = s.replace(/\\([\\`*_\[\]<>#|~&+\-=.)])/g, (_, c) => park(escapeAll(c)));
  s = s.replace(/!\[\]\(@([A-Z0-9]+)\)/g,
    (_, id) => park(`<span class="mention">@${escapeAll(userName(id))}</span>`));
  s = escapeAll(s);
  s = s.replace(/`([^`]+)`/g, "<code>$1</code>");
  s = s.replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>");
  s = s.replace(/(^|\s)_([^_]+)_(?=\s|$)/g, "$1<i>$2</i>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => parked[Number(i)]);
}

function renderHome(home) {
  const ctx = {where: "home", view_id: home && home.id};
  $("home").replaceChildren(home && home.blocks
    ? renderBlocks(home.blocks, ctx)
    : h("div", {class: "empty"}, "The app has not published a Home tab for you yet."));
}

function messageNode(m, ephemeral) {
  const ctx = {where: ephemeral ? "ephemeral" : "message", channel: S.channel, message_ts: m.ts};
  const reply = m.thread_ts && m.thread_ts !== m.ts;
  return h("div", {class: "message" + (ephemeral ? " ephemeral" : "") + (reply ? " reply" : ""),
    "data-ts": m.ts},
  h("div", {class: "meta"},
    // Ephemerals here always come from the app, whoever they are addressed to.
    h("span", {class: "author"}, ephemeral ? "Rumbo" : m.user_name || userName(m.user)),
    h("span", {class: "time", title: new Date(parseFloat(m.ts) * 1000).toString()}, formatTs(m.ts)),
    reply && h("span", {class: "tag"}, "reply in thread"),
    ephemeral && h("span", {class: "tag only-you"}, "Only visible to you")),
  m.blocks && m.blocks.length
    ? renderBlocks(m.blocks, ctx) : h("div", {class: "text"}, mrkdwnNode(m.text)),
  (m.files || []).length > 0 && h("div", {class: "files"}, m.files.map(fileLink)));
}

function fileLink(file) {
  const label = "↓ " + (file.title || file.name || file.id);
  return sameOrigin(file.url)
    ? h("a", {class: "file", href: file.url, download: file.name || true}, label)
    : h("span", {class: "file"}, label);
}

// --- modals --------------------------------------------------------------------------------

function topView() {
  const views = (S.data && S.data.views) || [];
  return views[views.length - 1] || null;
}

function renderModal(data) {
  const views = data.views || [];
  const view = topView();
  const overlay = $("modal");
  if (!view) {
    overlay.hidden = true;
    overlay.removeAttribute("data-view-id");
    $("modal-body").replaceChildren();  // no stale hooks behind a hidden overlay
    S.modalKey = null;
    S.localErrors = {};
    return;
  }
  const content = JSON.stringify([view.title, view.submit, view.close, view.blocks]);
  const key = [S.user, view.id, content].join("|");
  if (key !== S.modalKey) {
    const sameView = S.modalKey && S.modalKey.startsWith(`${S.user}|${view.id}|`);
    S.modalKey = key;
    S.localErrors = {};
    buildModal(view, sameView);
  }
  overlay.hidden = false;
  showLine($("modal-depth"), views.length > 1 ? `Modal ${views.length} of ${views.length}` : "");
  showModalErrors(view.errors || {});
}

function buildModal(view, sameView) {
  const old = new Map();
  if (sameView) {
    for (const node of $("modal-body").querySelectorAll(".input-block[data-block-id]")) {
      old.set(node.dataset.blockId, node);
    }
  }
  $("modal").dataset.viewId = view.id;
  $("modal-title").textContent = (view.title && view.title.text) || "";
  const body = renderBlocks(view.blocks || [], {where: "view", view_id: view.id});
  // On views.update Slack keeps what was typed in inputs that did not change.
  for (const node of body.querySelectorAll(".input-block[data-block-id]")) {
    const before = old.get(node.dataset.blockId);
    if (before && before.blockJson === node.blockJson) node.replaceWith(before);
  }
  $("modal-body").replaceChildren(body);
  $("modal-close").textContent = (view.close && view.close.text) || "Cancel";
  $("modal-submit").textContent = (view.submit && view.submit.text) || "Submit";
  $("modal-submit").hidden = !view.submit;
  $("modal-submit").disabled = false;
  showLine($("modal-error"), "");
}

function showModalErrors(viewErrors) {
  const errors = {...viewErrors, ...S.localErrors};  // the latest attempt wins
  const placed = new Set();
  for (const node of $("modal-body").querySelectorAll(".input-block[data-block-id]")) {
    const message = errors[node.dataset.blockId];
    showLine(node.querySelector(".field-error"), message);
    node.classList.toggle("has-error", Boolean(message));
    placed.add(node.dataset.blockId);
  }
  const loose = Object.entries(errors).filter(([id]) => !placed.has(id));
  if (loose.length) showLine($("modal-error"), loose.map(([id, msg]) => `${id}: ${msg}`).join("\n"));
}

async function submitModal() {
  const view = topView();
  if (!view) return;
  const values = {}, problems = {};
  for (const node of $("modal-body").querySelectorAll(".input-block[data-block-id]")) {
    const id = node.dataset.blockId;
    values[id] = node.readValue ? node.readValue() : null;
    const problem = node.check ? node.check(values[id]) : null;
    if (problem) problems[id] = problem;
  }
  // Slack's own client refuses these before the app ever sees them.
  if (Object.keys(problems).length) {
    S.localErrors = problems;
    return showModalErrors({});
  }
  $("modal-submit").disabled = true;
  const result = await api("/api/submit", {user: S.user, view_id: view.id, values});
  $("modal-submit").disabled = false;
  S.localErrors = result.errors || {};
  showLine($("modal-error"), result.error || "");
  showModalErrors({});
  refresh();
}

async function closeModal() {
  const view = topView();
  if (!view) return;
  const result = await api("/api/close", {user: S.user, view_id: view.id});
  showLine($("modal-error"), result.ok === false ? result.error : "");
  refresh();
}

// --- blocks --------------------------------------------------------------------------------

function renderBlocks(blocks, ctx) {
  return h("div", {class: "blocks"}, blocks.map((block) => {
    const draw = BLOCKS[block && block.type];
    try {
      return draw ? draw(block, ctx) : unsupported(block && block.type);
    } catch (error) {
      console.error(error, block);
      return unsupported(block && block.type);
    }
  }));
}

function unsupported(type) {
  return h("span", {class: "unsupported"}, `[unsupported: ${type || "?"}]`);
}

const BLOCKS = {
  header: (b) => h("div", {class: "block header-block"}, textNode(b.text)),

  section: (b, ctx) => h("div", {class: "block section"},
    h("div", {class: "section-body"},
      b.text && h("div", {class: "section-text"}, textNode(b.text)),
      b.fields && h("div", {class: "fields"},
        b.fields.map((f) => h("div", {class: "field"}, textNode(f))))),
    b.accessory && h("div", {class: "accessory"}, element(b.accessory, ctx))),

  divider: () => h("hr", {class: "block divider"}),

  context: (b) => h("div", {class: "block context"}, (b.elements || []).map((e) =>
    e.type === "image" ? imageNode(e.image_url, e.alt_text, "context-image") : textNode(e))),

  actions: (b, ctx) => h("div", {class: "block actions"},
    (b.elements || []).map((e) => element(e, ctx))),

  image: (b) => h("figure", {class: "block image-block"},
    b.title && h("figcaption", {}, textNode(b.title)),
    imageNode(b.image_url, b.alt_text, "image")),

  input: (b, ctx) => {
    // An input with dispatch_action sends its choice at once, as Slack's client does.
    const control = element(b.element || {},
      {...ctx, inInput: !b.dispatch_action, block_id: b.block_id});
    const node = h("div", {class: "block input-block", "data-block-id": b.block_id},
      h("label", {class: "input-label"}, textNode(b.label),
        b.optional && h("span", {class: "optional"}, t(" (optional)"))),
      control,
      b.hint && h("div", {class: "hint"}, textNode(b.hint)),
      h("div", {class: "field-error", role: "alert", hidden: true}));
    node.blockJson = JSON.stringify(b);
    node.readValue = control.readValue;
    node.check = (value) => {
      if (!b.optional && (value === null || (Array.isArray(value) && !value.length))) {
        return "Please fill out this field.";
      }
      return control.check ? control.check(value) : null;
    };
    return node;
  },
};

// Only images from this server: a remote URL would be a request leaving the machine.
function imageNode(url, alt, cls) {
  return sameOrigin(url)
    ? h("img", {class: cls, src: url, alt: alt || ""})
    : h("span", {class: "image-placeholder", title: url || ""}, `[image: ${alt || "no description"}]`);
}

function sameOrigin(url) {
  if (!url) return false;
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === location.origin || parsed.protocol === "data:";
  } catch (error) {
    return false;
  }
}

// --- elements ------------------------------------------------------------------------------

function element(el, ctx) {
  const draw = ELEMENTS[el.type];
  return draw ? draw(el, ctx) : unsupported(el.type);
}

const ELEMENTS = {
  button: (el, ctx) => h("button", {type: "button",
    class: "btn" + (["primary", "danger"].includes(el.style) ? ` btn-${el.style}` : ""),
    "data-action-id": el.action_id,
    onclick: () => {
      if (el.url && /^https?:/i.test(el.url)) window.open(el.url, "_blank", "noopener");
      act(ctx, el, el.value === undefined ? {} : {value: el.value});
    }}, plainText(el.text)),

  overflow: (el, ctx) => {
    const menu = h("div", {class: "overflow-menu", hidden: true}, options(el).map((o) =>
      h("button", {type: "button", class: "overflow-option", "data-value": o.value,
        onclick: (e) => { e.stopPropagation(); closeMenus(); act(ctx, el, {selected: o.value}); }},
      plainText(o.text))));
    const button = h("button", {type: "button", class: "btn overflow", title: "More actions",
      "data-action-id": el.action_id, "aria-haspopup": "menu",
      onclick: (e) => {
        e.stopPropagation();
        const wasHidden = menu.hidden;
        closeMenus();
        menu.hidden = !wasHidden;
      }}, "⋯");
    return h("span", {class: "overflow-wrap"}, button, menu);
  },

  static_select: (el, ctx) => select(el, ctx, options(el).map(optionChoice),
    [el.initial_option && el.initial_option.value], false),
  multi_static_select: (el, ctx) => select(el, ctx, options(el).map(optionChoice),
    (el.initial_options || []).map((o) => o.value), true),
  users_select: (el, ctx) => select(el, ctx, userChoices(), [el.initial_user], false),
  multi_users_select: (el, ctx) => select(el, ctx, userChoices(), el.initial_users || [], true),
  conversations_select: (el, ctx) => select(el, ctx, channelChoices(),
    [el.initial_conversation || (el.default_to_current_conversation ? S.channel : null)], false),
  multi_conversations_select: (el, ctx) => select(el, ctx, channelChoices(),
    el.initial_conversations || [], true),

  radio_buttons: (el, ctx) => choices(el, ctx, "radio", [el.initial_option && el.initial_option.value]),
  checkboxes: (el, ctx) => choices(el, ctx, "checkbox", (el.initial_options || []).map((o) => o.value)),

  plain_text_input: (el) => {
    const input = el.multiline ? h("textarea", {rows: 4}) : h("input", {type: "text"});
    input.dataset.actionId = el.action_id || "";
    if (el.max_length) input.maxLength = el.max_length;
    if (el.placeholder) input.placeholder = el.placeholder.text;
    input.value = el.initial_value || "";
    input.readValue = () => (input.value === "" ? null : input.value);
    input.check = (value) => (value && el.min_length && value.length < el.min_length
      ? `Please write at least ${el.min_length} characters.` : null);
    return input;
  },

  number_input: (el) => {
    const input = h("input", {type: "number", "data-action-id": el.action_id,
      step: el.is_decimal_allowed ? "any" : "1", min: el.min_value, max: el.max_value,
      placeholder: el.placeholder && el.placeholder.text});
    input.value = el.initial_value === undefined ? "" : el.initial_value;
    input.readValue = () => (input.value === "" ? null : input.value);
    input.check = () => (input.validity.valid ? null : "Please enter a valid number"
      + (el.min_value !== undefined || el.max_value !== undefined
        ? ` (${el.min_value ?? "…"} to ${el.max_value ?? "…"}).` : "."));
    return input;
  },

  // Slack uploads the picked file at once; the submission carries its file object.
  file_input: (el) => {
    const input = h("input", {type: "file", "data-action-id": el.action_id,
      accept: (el.filetypes || []).map((t) => `.${t}`).join(",") || null});
    let attached = null;
    input.addEventListener("change", async () => {
      attached = null;
      const file = input.files[0];
      if (!file) return;
      const content = await new Promise((done) => {
        const reader = new FileReader();
        reader.onload = () => done(String(reader.result).split(",", 2)[1] || "");
        reader.readAsDataURL(file);
      });
      const result = await api("/api/attach", {user: S.user, name: file.name, content});
      if (result.ok) attached = result.file;
      else showLine($("modal-error"), result.error || "The file was not attached.");
    });
    input.readValue = () => (attached ? [attached] : null);
    return input;
  },

  datepicker: (el, ctx) => picker(el, ctx, "date", el.initial_date),
  timepicker: (el, ctx) => picker(el, ctx, "time", el.initial_time),

  image: (el) => imageNode(el.image_url, el.alt_text, "accessory-image"),
};

function options(el) {
  return [...(el.options || []), ...(el.option_groups || []).flatMap((g) => g.options || [])];
}

function optionChoice(o) {
  return {value: o.value, label: (o.text && o.text.text) || o.value};
}

function userChoices() {
  return ((S.data && S.data.users) || []).map((u) =>
    ({value: u.id, label: userLabel(u) + (u.guest ? t(" (guest)") : "")}));
}

function channelChoices() {
  return ((S.data && S.data.channels) || []).map((c) => ({value: c.id, label: "# " + c.name}));
}

// A native <select>; in an input it holds a value, elsewhere choosing is a click.
function select(el, ctx, list, initial, multiple) {
  const chosen = new Set(initial.filter(Boolean));
  const placeholder = (el.placeholder && el.placeholder.text) || "Choose…";
  const sel = h("select", {"data-action-id": el.action_id, multiple,
    title: multiple ? "Ctrl/⌘-click to pick several" : null,
    size: multiple ? Math.min(Math.max(list.length, 2), 6) : null},
  !multiple && h("option", {value: ""}, placeholder),
  list.map((c) => h("option", {value: c.value, selected: chosen.has(c.value)}, c.label)));
  sel.readValue = () => (multiple ? [...sel.selectedOptions].map((o) => o.value) : sel.value || null);
  if (!ctx.inInput) {
    sel.addEventListener("change", () => {
      const value = sel.readValue();
      if (value !== null) act(ctx, el, {selected: value});
    });
  }
  return sel;
}

function choices(el, ctx, kind, initial) {
  const name = `choice-${++uid}`;
  const box = h("div", {class: "choices", "data-action-id": el.action_id,
    role: kind === "radio" ? "radiogroup" : "group"},
    options(el).map((o) => h("label", {class: "choice"},
      h("input", {type: kind, name, value: o.value, checked: initial.includes(o.value)}),
      h("span", {}, textNode(o.text),
        o.description && h("small", {class: "description"}, textNode(o.description))))));
  const checked = () => [...box.querySelectorAll("input:checked")].map((i) => i.value);
  box.readValue = kind === "radio" ? () => checked()[0] || null : checked;
  if (!ctx.inInput) box.addEventListener("change", () => act(ctx, el, {selected: box.readValue()}));
  return box;
}

function picker(el, ctx, kind, initial) {
  const input = h("input", {type: kind, "data-action-id": el.action_id});
  input.value = initial || "";
  input.lang = viewerLocale();  // the day, month and year in the order the viewer reads them
  // Browsers may add seconds to a time; Slack's timepicker is HH:MM.
  input.readValue = () => (kind === "time" ? input.value.slice(0, 5) : input.value) || null;
  if (!ctx.inInput) {
    input.addEventListener("change", () => input.value && act(ctx, el, {selected: input.readValue()}));
  }
  return input;
}

function closeMenus() {
  for (const menu of document.querySelectorAll(".overflow-menu")) menu.hidden = true;
}

// --- text ----------------------------------------------------------------------------------

function plainText(obj) {
  return (obj && obj.text) || "";
}

function textNode(obj) {
  if (!obj) return "";
  if (obj.type === "mrkdwn") return mrkdwnNode(obj.text);
  return h("span", {class: "plain"}, obj.text || "");
}

function mrkdwnNode(text) {
  const node = h("span", {class: "mrkdwn"});
  node.innerHTML = mrkdwn(text);  // mrkdwn() escapes everything it does not build itself
  return node;
}

// Escapes text Slack already escaped (&amp; &lt; &gt; stay as they are) so nothing is markup.
function escapeText(s) {
  return s.replace(/&(?!(?:amp|lt|gt);)/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// Escapes a raw value (a name, a URL) completely.
function escapeAll(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// *bold* _italic_ ~strike~: markers hugging the text, not inside a word (snake_case stays).
const EMPHASIS = [
  [/(^|[^\w*])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?!\w)/g, "b"],
  [/(^|[^\w_])_([^_\s](?:[^_\n]*[^_\s])?)_(?!\w)/g, "i"],
  [/(^|[^\w~])~([^~\s](?:[^~\n]*[^~\s])?)~(?!\w)/g, "s"],
];

function mrkdwn(raw) {
  // Finished HTML pieces (tokens, code) are parked behind \0n\0 markers so the
  // bold/italic rules below never look inside them.
  const parked = [];
  const park = (html) => `\u0000${parked.push(html) - 1}\u0000`;
  const parts = String(raw ?? "").replace(/\u0000/g, "").split(/<([^<>]+)>/);
  let s = parts.map((part, i) => (i % 2 ? park(token(part)) : escapeText(part))).join("");
  s = s.replace(/```([\s\S]*?)```/g, (_, code) => park(`<pre>${code.replace(/^\n/, "")}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => park(`<code>${code}</code>`));
  for (const [rule, tag] of EMPHASIS) s = s.replace(rule, `$1<${tag}>$2</${tag}>`);
  s = lines(s);
  const restore = (t) => t.replace(/\u0000(\d+)\u0000/g, (_, i) => restore(parked[Number(i)]));
  return restore(s);
}

// Line breaks, and "> " lines (already escaped to &gt;) grouped into block quotes.
function lines(s) {
  let html = "", quote = [], afterLine = false;
  const flush = () => {
    if (!quote.length) return;
    html += `<blockquote>${quote.join("<br>")}</blockquote>`;
    quote = [];
    afterLine = false;  // a block quote already ends its line
  };
  for (const line of s.split("\n")) {
    const m = /^&gt; ?(.*)$/.exec(line);
    if (m) { quote.push(m[1]); continue; }
    flush();
    html += (afterLine ? "<br>" : "") + line;
    afterLine = true;
  }
  flush();
  return html;
}

function token(t) {
  const bar = t.indexOf("|");
  const target = bar < 0 ? t : t.slice(0, bar);
  const label = bar < 0 ? "" : t.slice(bar + 1);
  const mention = (text) => `<span class="mention">${text}</span>`;
  if (target.startsWith("@")) {
    const name = label ? escapeText(label.replace(/^@/, "")) : escapeAll(userName(target.slice(1)));
    return mention("@" + name);
  }
  if (target.startsWith("#")) {
    return mention("#" + (label ? escapeText(label) : escapeAll(channelName(target.slice(1)))));
  }
  if (target.startsWith("!date^")) return escapeText(label);  // a time: its fallback text
  if (target.startsWith("!")) {
    if (label) return mention(escapeText(label));
    const word = target.slice(1).split("^")[0];
    return mention("@" + escapeAll(word));
  }
  const url = target.replace(/&amp;/g, "&");
  if (/^https?:\/\/[^\s]+$/i.test(url)) {
    const text = label ? escapeText(label) : escapeAll(url);
    return `<a href="${escapeAll(url)}" target="_blank" rel="noopener">${text}</a>`;
  }
  // Not a Slack token (an app that forgot to escape?): show it as it came.
  return label ? escapeText(label) : escapeText(`<${t}>`);
}

function userName(id) {
  const user = ((S.data && S.data.users) || []).find((u) => u.id === id);
  return user ? userLabel(user) : id || "unknown";  // a mention shows the display name
}

function userLabel(user) {
  return user.real_name || user.name || user.id;
}

function channelName(id) {
  const channel = ((S.data && S.data.channels) || []).find((c) => c.id === id);
  return channel ? channel.name : id;
}

function formatTs(ts) {
  const date = new Date(parseFloat(ts) * 1000);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString([], {month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
}

function formatClock(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return iso || "…";
  return date.toLocaleString([], {weekday: "short", year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit"});
}

// --- the page's own controls ---------------------------------------------------------------

async function go(page, channel) {
  S.page = page;
  if (channel) S.channel = channel;
  S.scrollToEnd = true;
  save();
  showLine($("action-error"), "");
  // Slack sends app_home_opened each time the tab is shown; the app publishes Home then.
  if (page === "home") await api("/api/home_opened", {user: S.user});
  refresh();
}

async function sendCommand() {
  const input = $("command-input");
  const text = input.value.trim();
  if (!text) return;
  input.disabled = true;
  const result = await api("/api/command", {user: S.user, channel: S.channel, text});
  input.disabled = false;
  input.focus();
  showLine($("command-error"), result.ok ? "" : result.error || "The command failed.");
  if (result.ok) input.value = "";
  S.scrollToEnd = true;
  refresh();
}

async function advance(step) {
  const result = await api("/api/clock", {advance: step});
  if (!result.ok) return showLine($("clock-status"), result.error || "Could not move the clock.");
  const sent = Array.isArray(result.sent) ? result.sent.length : Number(result.sent) || 0;
  showLine($("clock-status"), sent ? `${sent} ${t("scheduled message(s) sent.")}`
    : t("Nothing was due."));
  refresh();
}

async function reset() {
  const question = "Reset the sandbox? Every plan, message and setting made here is deleted.";
  if (!window.confirm(question)) return;
  const result = await api("/api/reset", {});
  showLine($("clock-status"), result.ok ? t("Sandbox reset.") : result.error || "Reset failed.");
  S.mainKey = S.modalKey = null;  // the version counter may start over
  refresh();
}

function init() {
  $("command-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); sendCommand(); }
  });
  $("command-hint").addEventListener("click", () => {
    $("command-input").value = "/plan help";
    $("command-input").focus();
  });
  $("home-link").addEventListener("click", (e) => { e.preventDefault(); go("home"); });
  $("tab-messages").addEventListener("click", () => { S.tab = "messages"; refresh(); });
  $("tab-canvas").addEventListener("click", () => { S.tab = "canvas"; refresh(); });
  $("user-switch").addEventListener("change", (e) => {
    S.user = e.target.value;
    S.modalKey = null;
    go(S.page);
  });
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => advance(button.dataset.advance));
  }
  $("reset").addEventListener("click", reset);
  $("modal-submit").addEventListener("click", submitModal);
  $("modal-close").addEventListener("click", closeModal);
  document.addEventListener("click", closeMenus);
  if (S.page === "home") go("home");
  else refresh();
  setInterval(refresh, 1000);
}

init();
