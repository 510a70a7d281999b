// The deck's live demo: draw a digit, and the study's best model reads it as you draw.
//
// The page holds everything (no server, no network): the exported model (best.onnx),
// onnxruntime-web's ES module and its WebAssembly, each base64-encoded in a
// <script type="application/octet-stream"> element that study/documents/render.py fills in.
// What it writes is in the deck's language: its words (labels.demo of the wording files) and
// number format come in <script type="application/json" id="digit-demo-words">
// (study/documents/live_demo.py's page_words).
//
// preprocess() is study/serving/digit_image.py in JavaScript, for an evenly lit canvas: ink map
// (background from the border, noise cut, specks dropped, strokes stretched), crop to the
// ink, Pillow's anti-aliased bilinear resize into 20 x 20, whole-pixel centring of the
// centre of mass in 28 x 28. (Python's steps for unevenly lit photographs never apply to a
// canvas.) A test holds the two to the same output; change them together.
(function () {
  "use strict";

  var SIZE = 28, BOX = 20, CENTRE = 14.0, MIN_INK = 0.15, NOISE_SIGMAS = 4.0,
      PEAK_PERCENTILE = 90.0, MIN_SPECK_SHARE = 0.05;

  function median(values) {
    var s = Float64Array.from(values).sort();
    var n = s.length, h = n >> 1;
    return n % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  }

  // numpy.percentile's default (linear) method.
  function percentile(values, q) {
    var s = Float64Array.from(values).sort(), at = (s.length - 1) * q / 100;
    var lo = Math.floor(at), hi = Math.ceil(at), t = at - lo;
    return t >= 0.5 ? s[hi] - (s[hi] - s[lo]) * (1 - t) : s[lo] + (s[hi] - s[lo]) * t;
  }

  // Brightness in [0, 1] -> ink in [0, 1], light on dark; throws when there is none.
  function inkMap(gray, w, h) {
    var border = [], x, y, i;
    for (x = 0; x < w; x++) { border.push(gray[x]); }
    for (x = 0; x < w; x++) { border.push(gray[(h - 1) * w + x]); }
    for (y = 1; y < h - 1; y++) { border.push(gray[y * w]); }
    for (y = 1; y < h - 1; y++) { border.push(gray[y * w + w - 1]); }
    var background = median(border);
    var light = background > 0.5;
    var ink = new Float64Array(w * h), peak = 0;
    for (i = 0; i < w * h; i++) {
      var v = light ? background - gray[i] : gray[i] - background;
      ink[i] = v > 0 ? v : 0;
      if (ink[i] > peak) { peak = ink[i]; }
    }
    var cut = NOISE_SIGMAS * 1.4826 * median(border.map(function (b) {
      return Math.abs(b - background);
    }));
    if (cut > 0 && peak > cut) {  // noisy: the strokes' percentile, not stroke plus noise
      var inked = [];
      for (i = 0; i < w * h; i++) { if (ink[i] > cut) { inked.push(ink[i]); } }
      peak = percentile(inked, PEAK_PERCENTILE);
    }
    if (peak - cut < MIN_INK) { throw new Error("no ink"); }
    for (i = 0; i < w * h; i++) {
      ink[i] = Math.min(Math.max((ink[i] - cut) / (peak - cut), 0), 1);
    }
    return cut > 0 ? dropSpecks(ink, w, h) : ink;
  }

  // Zero each 8-connected blot with less ink than MIN_SPECK_SHARE of the largest one's.
  function dropSpecks(ink, w, h) {
    var labels = new Int32Array(w * h), mass = [0], count = 0, stack = [], i;
    for (i = 0; i < w * h; i++) {
      if (ink[i] <= 0 || labels[i]) { continue; }
      count += 1; labels[i] = count; mass.push(0); stack.push(i);
      while (stack.length) {
        var p = stack.pop(), px = p % w, py = (p - px) / w;
        mass[count] += ink[p];
        for (var dy = -1; dy <= 1; dy++) {
          for (var dx = -1; dx <= 1; dx++) {
            var qx = px + dx, qy = py + dy, q = qy * w + qx;
            if (qx < 0 || qy < 0 || qx >= w || qy >= h || ink[q] <= 0 || labels[q]) { continue; }
            labels[q] = count; stack.push(q);
          }
        }
      }
    }
    if (count <= 1) { return ink; }
    var largest = mass.reduce(function (a, b) { return Math.max(a, b); }, 0);
    var out = new Float64Array(w * h);
    for (i = 0; i < w * h; i++) {
      out[i] = labels[i] && mass[labels[i]] >= MIN_SPECK_SHARE * largest ? ink[i] : 0;
    }
    return out;
  }

  // Pillow's precompute_coeffs for its bilinear filter (antialiased when reducing).
  function coefficients(inSize, outSize) {
    var scale = inSize / outSize, filterscale = Math.max(scale, 1), support = filterscale;
    var result = [];
    for (var xx = 0; xx < outSize; xx++) {
      var center = (xx + 0.5) * scale, ss = 1 / filterscale;
      var xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      var xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
      var k = [], ww = 0;
      for (var x = 0; x < xmax; x++) {
        var t = Math.abs((x + xmin - center + 0.5) * ss), wgt = t < 1 ? 1 - t : 0;
        k.push(wgt); ww += wgt;
      }
      for (x = 0; x < xmax; x++) { if (ww !== 0) { k[x] /= ww; } }
      result.push({min: xmin, k: k});
    }
    return result;
  }

  // Pillow's Image.resize(BILINEAR) of a float32 ("F") image: rows first, then columns.
  function resize(src, w, h, nw, nh) {
    var cx = coefficients(w, nw), cy = coefficients(h, nh), x, y, j, s;
    var mid = new Float32Array(nw * h), out = new Float32Array(nw * nh);
    for (y = 0; y < h; y++) {
      for (x = 0; x < nw; x++) {
        s = 0;
        for (j = 0; j < cx[x].k.length; j++) { s += src[y * w + cx[x].min + j] * cx[x].k[j]; }
        mid[y * nw + x] = s;
      }
    }
    for (y = 0; y < nh; y++) {
      for (x = 0; x < nw; x++) {
        s = 0;
        for (j = 0; j < cy[y].k.length; j++) { s += mid[(cy[y].min + j) * nw + x] * cy[y].k[j]; }
        out[y * nw + x] = s;
      }
    }
    return out;
  }

  function place(centreOfMass, extent) {
    var offset = Math.ceil(CENTRE - 0.5 - centreOfMass - 1e-9);
    return Math.min(Math.max(offset, 0), SIZE - extent);
  }

  // Ink map -> the 28 x 28 MNIST-like image (Float32Array, row-major, [0, 1]).
  function toMnist(ink, w, h) {
    var top = h, bottom = -1, left = w, right = -1, x, y;
    for (y = 0; y < h; y++) {
      for (x = 0; x < w; x++) {
        if (ink[y * w + x] > 0) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) { throw new Error("no ink"); }
    var dh = bottom - top + 1, dw = right - left + 1;
    var factor = BOX / Math.max(dh, dw);
    var nh = Math.max(1, Math.floor(dh * factor + 0.5)), nw = Math.max(1, Math.floor(dw * factor + 0.5));
    var digit;
    if (nh === dh && nw === dw) {
      digit = new Float64Array(dh * dw);
      for (y = 0; y < dh; y++) { for (x = 0; x < dw; x++) { digit[y * dw + x] = ink[(top + y) * w + left + x]; } }
    } else {
      var crop = new Float32Array(dh * dw);
      for (y = 0; y < dh; y++) { for (x = 0; x < dw; x++) { crop[y * dw + x] = ink[(top + y) * w + left + x]; } }
      digit = Float64Array.from(resize(crop, dw, dh, nw, nh), function (v) {
        return Math.min(Math.max(v, 0), 1);
      });
    }
    var total = 0, sy = 0, sx = 0;
    for (y = 0; y < nh; y++) {
      for (x = 0; x < nw; x++) { var v = digit[y * nw + x]; total += v; sy += y * v; sx += x * v; }
    }
    var ty = place(sy / total, nh), tx = place(sx / total, nw);
    var field = new Float32Array(SIZE * SIZE);
    for (y = 0; y < nh; y++) { for (x = 0; x < nw; x++) { field[(ty + y) * SIZE + tx + x] = digit[y * nw + x]; } }
    return field;
  }

  function preprocess(gray, w, h) { return toMnist(inkMap(gray, w, h), w, h); }

  // ------------------------------------------------------------------ the model
  function bytesOf(id) {
    var text = document.getElementById(id).textContent.replace(/\s+/g, "");
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  var session = null;
  function loadModel() {
    if (!session) {
      var module = URL.createObjectURL(new Blob([bytesOf("digit-demo-ort")],
                                                {type: "text/javascript"}));
      session = import(module).then(function (ort) {
        ort.env.wasm.wasmBinary = bytesOf("digit-demo-wasm");
        ort.env.wasm.numThreads = 1;  // no workers: the page is a file, not a server
        ort.env.wasm.proxy = false;
        return ort.InferenceSession.create(bytesOf("digit-demo-model"),
                                           {executionProviders: ["wasm"]})
          .then(function (s) { return {ort: ort, session: s}; });
      });
    }
    return session;
  }

  function softmax(logits) {
    var top = Math.max.apply(null, logits), e = logits.map(function (v) { return Math.exp(v - top); });
    var sum = e.reduce(function (a, b) { return a + b; }, 0);
    return e.map(function (v) { return v / sum; });
  }

  function classify(pixels) {
    return loadModel().then(function (m) {
      var input = new m.ort.Tensor("float32", pixels, [1, 1, SIZE, SIZE]);
      var feeds = {}; feeds[m.session.inputNames[0]] = input;
      return m.session.run(feeds).then(function (out) {
        return softmax(Array.from(out[m.session.outputNames[0]].data));
      });
    });
  }

  // ------------------------------------------------------------------ the language
  // {locale, decimal, percent: "{}%" or "{}\u202f%", words: {answer, no_answer, could_not_run}}
  var language = null;
  function lang() {
    if (!language) {
      language = JSON.parse(document.getElementById("digit-demo-words").textContent);
    }
    return language;
  }

  // A template's {fields} filled from `values`; a field without a value is left as it is.
  function fill(template, values) {
    return template.replace(/\{(\w*)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function word(key, values) { return fill(lang().words[key], values || {}); }

  // A probability as the deck's language writes it, one decimal: 99.5% or 99,5 %.
  function percent(fraction) {
    var number = (100 * fraction).toFixed(1).replace(".", lang().decimal);
    return lang().percent.replace("{}", number);
  }

  // ------------------------------------------------------------------ the page
  function start(root) {
    var pad = root.querySelector("canvas.digit-pad");
    var ctx = pad.getContext("2d", {willReadFrequently: true});
    var bars = root.querySelector(".digit-bars"), answer = root.querySelector(".digit-answer");
    var status = root.querySelector(".digit-status");
    var columns = [];
    for (var d = 0; d < 10; d++) {
      var column = document.createElement("div"); column.className = "digit-bar";
      column.innerHTML = "<span class='fill'></span><span class='label'>" + d + "</span>";
      bars.appendChild(column); columns.push(column);
    }
    var state = {last: null, pending: false, again: false, drawing: false};
    window.digitDemo.state = state;

    function clear() {
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height);
      ctx.fillStyle = "#fff";  // white ink on black, as MNIST
      state.last = null; answer.textContent = word("no_answer");
      columns.forEach(function (c) { c.firstChild.style.height = "0%"; c.classList.remove("top"); });
    }

    function show(probabilities) {
      var best = probabilities.indexOf(Math.max.apply(null, probabilities));
      columns.forEach(function (c, i) {
        c.firstChild.style.height = (100 * probabilities[i]).toFixed(1) + "%";
        c.classList.toggle("top", i === best);
      });
      answer.textContent = word("answer", {digit: best, percent: percent(probabilities[best])});
      state.last = {digit: best, probabilities: probabilities};
    }

    function gray() {
      var data = ctx.getImageData(0, 0, pad.width, pad.height).data;
      var g = new Float64Array(pad.width * pad.height);
      for (var i = 0; i < g.length; i++) {
        g[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
      }
      return g;
    }

    // One reading at a time; strokes drawn meanwhile are read as soon as it is done.
    function update() {
      if (state.pending) { state.again = true; return; }
      var pixels;
      try { pixels = preprocess(gray(), pad.width, pad.height); } catch (e) { return; }
      state.pending = true;
      classify(pixels).then(function (p) {
        show(p); status.textContent = "";
      }, function (err) {
        status.textContent = word("could_not_run", {error: err.message});
      }).then(function () {
        state.pending = false;
        if (state.again) { state.again = false; update(); }
      });
    }

    function point(event) {
      var r = pad.getBoundingClientRect();
      return [(event.clientX - r.left) * pad.width / r.width,
              (event.clientY - r.top) * pad.height / r.height];
    }
    var previous = null;
    pad.addEventListener("pointerdown", function (event) {
      event.preventDefault(); event.stopPropagation();
      pad.setPointerCapture(event.pointerId);
      state.drawing = true; previous = point(event);
      ctx.beginPath(); ctx.arc(previous[0], previous[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    });
    pad.addEventListener("pointermove", function (event) {
      if (!state.drawing) { return; }
      event.preventDefault(); event.stopPropagation();
      var p = point(event);
      ctx.beginPath(); ctx.moveTo(previous[0], previous[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      previous = p; update();
    });
    function end(event) {
      if (!state.drawing) { return; }
      event.stopPropagation();
      state.drawing = false; update();
    }
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    root.querySelector(".digit-clear").addEventListener("click", clear);

    ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#fff";
    ctx.lineWidth = pad.width / 12;  // MNIST's strokes are about 2-3 of its 28 pixels
    clear();
    // Start the runtime while the presenter talks, not on the first stroke.
    if (window.Reveal && Reveal.on) {
      Reveal.on("slidechanged", function (e) { if (e.currentSlide.contains(root)) { loadModel(); } });
    }
  }

  window.digitDemo = {preprocess: preprocess, classify: classify, loadModel: loadModel,
                      percent: percent, word: word};
  function init() {
    var root = document.querySelector(".digit-demo");
    if (root) { start(root); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
