/* 自评表: recompute the scores while the clerk types (optional: the page works without it).
   Posts the form to …/preview, which reads it like a save but writes nothing, and shows the
   result in the score cells, the funds block and the total, marked as not yet saved. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form || !form.dataset.preview || !window.fetch || !window.FormData) return;
  var status = document.getElementById("preview-status");
  var timer = null, seq = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function setScore(cell, s) {
    cell.textContent = "";
    cell.appendChild(s.score !== null ? el("strong", "score" + (s.lost ? " lost" : ""), s.score) : el("span", "muted", "—"));
    cell.appendChild(el("div", "explain", s.explanation));
  }

  // 必填 beside a reason box: shown while a reason is required and the box is still empty, so
  // it goes as soon as the clerk writes the reason and comes back when the box is cleared.
  function syncRequired(cell, box, before) {
    if (!cell) return;
    var tag = cell.querySelector(".req");
    var required = cell.dataset.reasonRequired === "1" && !(box && box.value.trim());
    if (required && !tag) {
      tag = el("span", "req", "必填");
      if (before) cell.insertBefore(tag, null); else cell.insertBefore(tag, cell.firstChild);
    }
    if (!required && tag) tag.remove();
  }

  function syncReason(cell) {
    syncRequired(cell, cell && cell.querySelector("textarea"), false);
  }

  function syncBudgetReason() {
    syncRequired(document.getElementById("budget-reason-label"), document.getElementById("budget_reason"), true);
  }

  function setRequired(cell, required) {
    if (!cell) return;
    cell.dataset.reasonRequired = required ? "1" : "0";
    syncReason(cell);
  }

  function apply(j) {
    Object.keys(j.indicators).forEach(function (id) {
      var row = document.getElementById("ind-" + id);
      if (!row) return;
      var s = j.indicators[id];
      setScore(row.querySelector("td.score-cell"), s);
      setRequired(row.querySelector("td.reason"), s.reason_required);
    });
    var label = document.getElementById("budget-reason-label");
    if (label) { label.dataset.reasonRequired = j.budget.reason_required ? "1" : "0"; syncBudgetReason(); }
    var rate = document.getElementById("budget-rate"), bscore = document.getElementById("budget-score");
    if (rate) rate.textContent = j.budget.rate || "—";
    if (bscore) { bscore.textContent = ""; bscore.appendChild(j.budget.score ? el("strong", "", j.budget.score) : el("span", "", "—")); }
    var total = document.getElementById("total");
    if (total) {
      total.textContent = "";
      if (j.total) {
        total.appendChild(el("strong", "total", j.total));
        total.appendChild(document.createTextNode(" "));
        total.appendChild(el("span", "grade g-" + j.grade, j.grade));
      } else if (j.provisional) {
        total.appendChild(el("span", "muted", "已得 " + j.provisional + " 分（尚未填完，暂不评定等级）"));
      } else {
        total.appendChild(el("span", "muted", "—"));
      }
    }
    if (status) {
      var n = Object.keys(j.errors).length;
      status.textContent = "得分按正在填写的内容预览，尚未保存" + (n ? "；有 " + n + " 处内容无法识别，未计入" : "") + "。";
    }
  }

  function run() {
    var mine = ++seq, data = new FormData(form);
    fetch(form.dataset.preview, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": data.get("csrf_token") || "", "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && mine === seq) apply(j); })
      .catch(function () { /* offline or navigating away: the saved page stays authoritative */ });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(run, 400); }
  form.addEventListener("input", function (ev) {
    var t = ev.target;
    if (t && t.id === "budget_reason") syncBudgetReason();
    else if (t && t.closest && t.closest("td.reason")) syncReason(t.closest("td.reason"));
  });
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
