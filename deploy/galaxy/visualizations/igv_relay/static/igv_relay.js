// igv-relay's Galaxy visualization: Galaxy runs this script in a frame of the
// dataset's page (VisualizationFrame) after putting
//   <div id="app" data-incoming='{"root": …, "visualization_config": {"dataset_id": …},
//                                 "visualization_plugin": {"specs": {"relay_url": …}, …}}'>
// into the frame. The script turns that frame into the relay's page of the
// dataset (/galaxy/datasets/ID). Its links leave the frame (target="_top"):
// browsers block a frame's navigation to IGV's port on 127.0.0.1 (Local Network
// Access), not a top-level one; IGV answers 204, so Galaxy's page stays.
(function () {
    "use strict";

    function note(text, isError) {
        var p = document.createElement("p");
        p.className = "igv-relay-note" + (isError ? " error" : "");
        p.textContent = text;
        document.body.appendChild(p);
    }

    var app = document.getElementById("app");
    var incoming = {};
    try {
        incoming = JSON.parse((app && app.getAttribute("data-incoming")) || "{}");
    } catch (e) {
        note("igv-relay: Galaxy gave this visualization no readable settings (" + e + ").", true);
        return;
    }
    var config = incoming.visualization_config || {};
    var plugin = incoming.visualization_plugin || {};
    var relay = (plugin.specs && plugin.specs.relay_url) || "";
    var dataset = config.dataset_id || "";
    if (!dataset) {
        // Opened as /visualizations/display?visualization=igv_relay&dataset_id=ID.
        try {
            dataset = new URL(window.parent.location.href).searchParams.get("dataset_id") || "";
        } catch (e) {
            dataset = "";
        }
    }
    if (!/^https?:\/\//.test(relay)) {
        note("igv-relay: the Galaxy admin has not set the relay's address " +
            "(<relay_url> in the plugin's igv_relay.xml).", true);
        return;
    }
    if (!/^[0-9a-zA-Z]+$/.test(dataset)) {
        note("igv-relay: open this visualization from a dataset.", true);
        return;
    }
    var page = new URL("galaxy/datasets/" + encodeURIComponent(dataset), relay.replace(/\/?$/, "/"));
    note("Opening the dataset's IGV links…", false);
    window.location.replace(page.href);
})();
