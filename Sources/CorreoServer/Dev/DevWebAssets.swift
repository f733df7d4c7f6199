/// The web page's style sheet and script: small, hand-written, served as they are.
enum DevWebAssets {
    static let style = """
        body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
        header { background: #223; color: #fff; padding: .5em 1em; }
        header .home { color: #fff; font-weight: bold; text-decoration: none; }
        .warning { background: #b00; color: #fff; padding: .3em .6em; margin: .4em 0 0; font-weight: bold; }
        main { padding: 1em; }
        form { display: inline; }
        table { border-collapse: collapse; width: 100%; margin-top: .5em; }
        th, td { text-align: left; padding: .25em .5em; border-bottom: 1px solid #ddd; vertical-align: top; }
        tr.new { animation: arrive 2s; }
        @keyframes arrive { from { background: #ffd; } to { background: transparent; } }
        pre { white-space: pre-wrap; background: #f6f6f6; padding: .5em; overflow-x: auto; }
        iframe { width: 100%; height: 30em; border: 1px solid #ccc; }
        table.headers th { width: 12em; font-weight: normal; color: #555; }
        """

    /// Live update: each arrival from `/api/events` becomes a new first row of the list.
    static let script = """
        "use strict";
        (function () {
          const body = document.querySelector("#messages tbody");
          if (!body || !window.EventSource || new URLSearchParams(location.search).get("q")) return;
          const text = (tag, value) => { const cell = document.createElement(tag); cell.textContent = value; return cell; };
          const events = new EventSource("/api/events");
          events.addEventListener("message", (event) => {
            const m = JSON.parse(event.data);
            if (body.querySelector(`tr[data-id="${CSS.escape(m.id)}"]`)) return;
            const row = document.createElement("tr");
            row.dataset.id = m.id;
            row.className = "new";
            row.append(text("td", m.received), text("td", m.from.map((a) => a.address).join(", ")),
              text("td", (m.envelope ? m.envelope.recipients : m.to.map((a) => a.address)).join(", ")));
            const subject = document.createElement("td");
            const link = document.createElement("a");
            link.href = "/messages/" + encodeURIComponent(m.id);
            link.textContent = m.subject || "(no subject)";
            subject.append(link);
            const action = document.createElement("td");
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/messages/" + encodeURIComponent(m.id) + "/delete";
            form.append(text("button", "Delete"));
            action.append(form);
            row.append(subject, action);
            body.prepend(row);
            const total = document.getElementById("total");
            if (total) total.textContent = String(Number(total.textContent) + 1);
          });
        })();
        """
}
