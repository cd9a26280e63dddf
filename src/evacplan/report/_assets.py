"""The report's inline stylesheet and script (no CDN, no external file: the report works offline)."""

from __future__ import annotations

__all__ = ["CSS", "MAP_JS", "SORT_JS"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:8px 24px 40px;max-width:1500px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:14px 0;overflow-x:auto}
h2{font-size:18px;margin:4px 0 10px}h3{font-size:15px;margin:12px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f0f3f7}td.l,th.l{text-align:left}
.bad{color:#b00020;font-weight:600}.ok{color:#1b7a3a}.muted{color:#777}
.row{display:flex;flex-wrap:wrap;gap:14px}
.note{font-size:12px;color:#555;max-width:1100px}
#mapwrap{position:relative;border:1px solid #ccc;height:620px;background:#f4f6f8;overflow:hidden}
#map{width:100%;height:100%;cursor:grab;display:block}
#tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.96);border:1px solid #999;
border-radius:4px;padding:4px 7px;font-size:12px;display:none;max-width:340px;white-space:normal}
.tools{margin:6px 0;display:flex;gap:6px;flex-wrap:wrap;align-items:center;font-size:13px}
.tools button{border:1px solid #889;background:#fff;border-radius:4px;padding:3px 9px;cursor:pointer}
.tools button.on{background:#1f3a5f;color:#fff}
.legend{font-size:12px;display:flex;gap:14px;flex-wrap:wrap;margin-top:6px}
.scroll{overflow-x:auto;max-width:100%}
.headline ul,.pvs-list{margin:4px 0 10px;padding-left:20px;max-width:1100px}.headline li,.pvs-list li{margin:3px 0}
.headline li.pvs,.headline li.nop{font-weight:600}
.flowsw{vertical-align:middle;margin-right:3px}
#scalebar{position:absolute;left:10px;bottom:10px;background:rgba(255,255,255,.85);padding:2px 6px;font-size:11px;
border-radius:3px;pointer-events:none}#scalebar .bar{height:5px;border:2px solid #000;border-top:none;margin-top:2px}
#north{position:absolute;right:10px;top:10px;background:rgba(255,255,255,.85);border-radius:3px;padding:2px 4px;
pointer-events:none;text-align:center;font:bold 12px sans-serif;line-height:1}
#tip{white-space:pre-line}
table.sortable th{cursor:pointer}table.sortable th[aria-sort=ascending]::after{content:" \25B2"}
table.sortable th[aria-sort=descending]::after{content:" \25BC"}td.wrap{white-space:normal;min-width:14em;
text-align:left}
.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #777}
svg.chart{max-width:100%;height:auto}
@media (max-width:700px){main{padding:4px 8px 24px}section{padding:8px 10px}header{padding:10px 12px}
th{white-space:normal;min-width:4em}#mapwrap{height:420px}}
@media print{body{background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
header{background:#fff;color:#000;border-bottom:2px solid #1f3a5f}main{padding:0;max-width:none}
section{overflow:visible;border:none;padding:4px 0;margin:8px 0}.scroll{overflow:visible}
table{font-size:9px;width:100%;table-layout:auto}th,td{white-space:normal;padding:2px 3px}
#mapwrap{height:480px;break-inside:avoid}.tools button,#reset{display:none}h2{break-after:avoid}
svg.chart{break-inside:avoid}.headline{break-inside:avoid}details{display:block}
details>summary{list-style:none}}
"""

# The map: the variants' map data are in <script type="application/json" id="mapdata">; one SVG is drawn per
# selected variant. Coordinates are metres (y up); the view box does the pan and zoom.
MAP_JS = r"""
(function(){
'use strict';
const data = JSON.parse(document.getElementById('mapdata').textContent);
const svg = document.getElementById('map');
const tip = document.getElementById('tip');
const NS = 'http://www.w3.org/2000/svg';
let view = null, home = null;
function el(tag, attrs, parent){const e=document.createElementNS(NS, tag);
  for(const k in attrs){e.setAttribute(k, attrs[k]);} if(parent){parent.appendChild(e);} return e;}
function fmt(v){return (v===null||v===undefined)?'n/a':(typeof v==='number'?v.toLocaleString('en-US',
  {maximumFractionDigits:1}):String(v).replace(/[&<>"]/g, c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]));}
function ringPath(rings, H){return rings.map(r=>'M'+r.map(p=>p[0].toFixed(1)+' '+(H-p[1]).toFixed(1))
  .join('L')).join(' ');}
function num(v){return Math.round(v||0).toLocaleString('en-US');}
function dur(m){if(m===null||m===undefined){return 'none';} m=Math.round(m);
  return m<60 ? m+' min' : Math.floor(m/60)+' h'+(m%60 ? ' '+(m%60)+' min' : '');}
function street(m, k){const i = m.edges.street ? m.edges.street[k] : -1;
  return (i!==undefined && i>=0) ? m.streets[i] : 'street';}
function dangerText(p){
  const pop = p.population||0, ex = p.exposed||0;
  let t = p.name+': '+num(pop)+' people';
  if(p.deadline_min===null||p.deadline_min===undefined){return t+', no deadline';}
  const safe = (p.safe_by_deadline===null||p.safe_by_deadline===undefined) ? null : p.safe_by_deadline;
  const n = safe===null ? pop-ex : safe;
  const pct = pop>0 ? Math.floor(100*n/pop) : 100;
  t += ', deadline '+dur(p.deadline_min)+', '+pct+' % '+(safe===null ? 'out of the zone' : 'safe')+' by then';
  if(ex>0){t += '; '+num(ex)+' still in danger after it';}
  return t;
}
function safeText(p){
  let t = p.name+' (safe zone): receives '+num(p.received)+' people';
  if(p.residents){t += ' besides '+num(p.residents)+' residents';}
  if(p.capacity!==null&&p.capacity!==undefined){t += '; room for '+num(p.capacity);}
  if(p.site_m2_per_person!==null&&p.site_m2_per_person!==undefined){
    t += '; '+fmt(p.site_m2_per_person)+' m2 of site per person';}
  return t;
}
function titled(e, text){e.dataset.tip = text; const t = document.createElementNS(NS, 'title');
  t.textContent = text; e.appendChild(t); return e;}
let labels = [];
function setView(v){view=v; svg.setAttribute('viewBox', v.join(' ')); decorate();}
function nice(x){const m = Math.pow(10, Math.floor(Math.log10(x)));
  for(const f of [5,2,1]){if(f*m<=x){return f*m;}} return m;}
function decorate(){
  const r = svg.getBoundingClientRect();
  if(!view || r.width<=0 || r.height<=0){return;}
  const s = Math.max(view[2]/r.width, view[3]/r.height);
  for(const t of labels){t.setAttribute('font-size', (13*s).toFixed(1));
    t.setAttribute('stroke-width', (3*s).toFixed(1));}
  const metres = nice(110*s), px = metres/s;
  const sb = document.getElementById('scalebar');
  sb.querySelector('.bar').style.width = px.toFixed(0)+'px';
  sb.querySelector('.len').textContent = metres>=1000 ? (metres/1000)+' km' : metres+' m';
}
function draw(i){
  while(svg.firstChild){svg.removeChild(svg.firstChild);}
  const m = data[i].map;
  const xs = m.x, ys = m.y;
  let W = 1, H = 1;
  for(let k=0;k<xs.length;k++){if(xs[k]>W){W=xs[k];} if(ys[k]>H){H=ys[k];}}
  const pad = 0.04*Math.max(W,H);
  home = [-pad, -pad, W+2*pad, H+2*pad];
  setView(home.slice());
  el('rect', {x:-1e6, y:-1e6, width:2e6, height:2e6, fill:'#f4f6f8'}, svg);
  const gz = el('g', {id:'zones'}, svg);
  for(const f of m.safe_zones){
    const p = el('path', {d:ringPath(f.rings,H), fill:'#2a9d55', 'fill-opacity':0.25, stroke:'#1b7a3a',
      'stroke-width':2, 'vector-effect':'non-scaling-stroke', class:'zone safe'}, gz);
    titled(p, safeText(f.props));
  }
  for(const f of m.danger_zones){
    const pop = f.props.population||0, ex = f.props.exposed||0;
    const share = pop>0 ? ex/pop : 0;
    const p = el('path', {d:ringPath(f.rings,H), fill:'#d62828', 'fill-opacity':(0.08+0.45*share).toFixed(3),
      stroke:'#9d0208', 'stroke-width':2, 'stroke-dasharray':'8 4', 'vector-effect':'non-scaling-stroke',
      class:'zone danger'}, gz);
    titled(p, dangerText(f.props));
  }
  const ge = el('g', {id:'edges'}, svg);
  const E = m.edges; let fmax = 1;
  for(const f of E.flow){if(f>fmax){fmax=f;}}
  const order = E.flow.map((f,k)=>k).sort((a,b)=>E.flow[a]-E.flow[b]);
  for(const k of order){
    const a = E.a[k], b = E.b[k], f = E.flow[k];
    const w = f>0 ? 1+7*Math.sqrt(f/fmax) : 0.6;
    const c = f>0 ? 'hsl(' + (210-190*Math.sqrt(f/fmax)).toFixed(0) + ',80%,42%)' : '#a9b0b8';
    const ln = el('line', {x1:xs[a], y1:H-ys[a], x2:xs[b], y2:H-ys[b], stroke:c, 'stroke-width':w,
      'stroke-linecap':'round', 'vector-effect':'non-scaling-stroke', class:'edge'}, ge);
    ln.dataset.tip = f>0 ? street(m,k)+': '+num(f)+' persons through'+(E.queue[k]>0 ? ', longest queue '+
      num(E.queue[k])+' persons' : '') : street(m,k)+': nobody planned through';
  }
  const gb = el('g', {id:'bottlenecks'}, svg);
  for(const k of E.bottleneck){
    const a = E.a[k], b = E.b[k];
    const ln = el('line', {x1:xs[a], y1:H-ys[a], x2:xs[b], y2:H-ys[b], stroke:'#e00000', 'stroke-width':10,
      'stroke-opacity':0.55, 'stroke-linecap':'round', 'vector-effect':'non-scaling-stroke', class:'bottleneck'},
      gb);
    titled(ln, 'Bottleneck, '+street(m,k)+': '+num(E.flow[k])+' persons through, longest queue '+
      num(E.queue[k])+' persons');
  }
  const gc = el('g', {id:'closed'}, svg);
  for(const c of m.closed){
    const poly = c.type.indexOf('Polygon')>=0, pt = c.type.indexOf('Point')>=0;
    if(pt){for(const r of c.rings){for(const q of r){
      el('circle', {cx:q[0], cy:H-q[1], r:25, fill:'#000', 'fill-opacity':0.6}, gc);}}continue;}
    const p = el('path', {d:ringPath(c.rings,H), fill:poly?'#000':'none', 'fill-opacity':0.2, stroke:'#000',
      'stroke-width':4, 'stroke-dasharray':'10 5', 'vector-effect':'non-scaling-stroke', class:'closed'}, gc);
    titled(p, 'Closed: nobody may pass');
  }
  const gx = el('g', {id:'exposed'}, svg);
  let xmax = 1; for(const q of m.exposed_nodes){if(q[1]>xmax){xmax=q[1];}}
  for(const q of m.exposed_nodes){
    const c = el('circle', {cx:xs[q[0]], cy:H-ys[q[0]], r:(3+16*Math.sqrt(q[1]/xmax)).toFixed(1),
      fill:'#ff006e', 'fill-opacity':0.35, stroke:'#9d0050', 'stroke-width':1,
      'vector-effect':'non-scaling-stroke', class:'exposed'}, gx);
    titled(c, num(q[1])+' people still in danger here after the deadline (plan estimate)');
  }
  const gl = el('g', {id:'labels'}, svg);
  labels = [];
  for(const [list, cls, fill] of [[m.danger_zones, 'danger', '#7a0010'], [m.safe_zones, 'safe', '#0d5c2a']]){
    for(const f of list){
      if(!f.label){continue;}
      const t = el('text', {x:f.label[0], y:H-f.label[1], class:'zone-label '+cls, fill:fill,
        'text-anchor':'middle', 'font-weight':'bold', stroke:'#fff', 'paint-order':'stroke',
        'pointer-events':'none'}, gl);
      t.textContent = String(f.props.name);
      labels.push(t);
    }
  }
  const lg = document.getElementById('flowlegend');
  while(lg.firstChild){lg.removeChild(lg.firstChild);}
  for(const q of [1, 0.25, 0.04]){
    const f = Math.max(1, Math.round(fmax*q));
    const sp = document.createElement('span');
    const sv = el('svg', {width:34, height:12, class:'flowsw'}, sp);
    el('line', {x1:2, y1:6, x2:32, y2:6, stroke:'hsl('+(210-190*Math.sqrt(f/fmax)).toFixed(0)+',80%,42%)',
      'stroke-width':(1+7*Math.sqrt(f/fmax)).toFixed(1), 'stroke-linecap':'round'}, sv);
    sp.appendChild(document.createTextNode(num(f)+' persons'));
    lg.appendChild(sp);
  }
  const sp = document.createElement('span');
  const sv = el('svg', {width:34, height:12, class:'flowsw'}, sp);
  el('line', {x1:2, y1:6, x2:32, y2:6, stroke:'#a9b0b8', 'stroke-width':0.8}, sv);
  sp.appendChild(document.createTextNode('nobody'));
  lg.appendChild(sp);
  decorate();
  document.getElementById('flowsrc').textContent = m.flow_source;
}
svg.addEventListener('mousemove', ev=>{
  const t = ev.target && ev.target.dataset ? ev.target.dataset.tip : null;
  if(!t || drag){tip.style.display='none'; return;}
  tip.textContent = t;
  const r = svg.getBoundingClientRect();
  tip.style.left = (ev.clientX-r.left+14)+'px'; tip.style.top = (ev.clientY-r.top+14)+'px';
  tip.style.display = 'block';
});
svg.addEventListener('mouseleave', ()=>{tip.style.display='none';});
svg.addEventListener('wheel', ev=>{
  ev.preventDefault();
  const r = svg.getBoundingClientRect();
  const s = Math.min(view[2]/r.width, view[3]/r.height);
  const ox = view[0] + (view[2] - r.width*s)/2, oy = view[1] + (view[3] - r.height*s)/2;
  const mx = ox + (ev.clientX-r.left)*s, my = oy + (ev.clientY-r.top)*s;
  const f = ev.deltaY < 0 ? 0.8 : 1.25;
  setView([mx-(mx-view[0])*f, my-(my-view[1])*f, view[2]*f, view[3]*f]);
}, {passive:false});
let drag = null;
svg.addEventListener('mousedown', ev=>{drag = {x:ev.clientX, y:ev.clientY, v:view.slice()};
  svg.style.cursor='grabbing';});
window.addEventListener('mouseup', ()=>{drag = null; svg.style.cursor='grab';});
window.addEventListener('mousemove', ev=>{
  if(!drag){return;}
  const r = svg.getBoundingClientRect();
  const s = Math.max(drag.v[2]/r.width, drag.v[3]/r.height);
  setView([drag.v[0]-(ev.clientX-drag.x)*s, drag.v[1]-(ev.clientY-drag.y)*s, drag.v[2], drag.v[3]]);
});
document.getElementById('reset').addEventListener('click', ()=>setView(home.slice()));
const buttons = document.querySelectorAll('#variants button');
buttons.forEach(b=>b.addEventListener('click', ()=>{
  buttons.forEach(x=>x.classList.remove('on')); b.classList.add('on'); draw(+b.dataset.i);
}));
window.addEventListener('resize', decorate);
draw(0);
document.body.dataset.mapReady = '1';
})();
"""


# Sortable tables: a click (or Enter) on a column's header sorts the rows by it, again reverses; cells with a
# data-v attribute sort by that number.
SORT_JS = r"""
(function(){
'use strict';
document.querySelectorAll('table.sortable').forEach(function(t){
  const ths = t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths, function(th, i){
    th.tabIndex = 0;
    th.setAttribute('aria-sort', 'none');
    const go = function(){
      const asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(ths, function(x){x.setAttribute('aria-sort', 'none');});
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      const body = t.tBodies[0];
      const rows = Array.prototype.slice.call(body.rows);
      const key = function(r){const c = r.cells[i]; return c.dataset.v !== undefined ? parseFloat(c.dataset.v)
        : c.textContent.toLowerCase();};
      rows.sort(function(a, b){const x = key(a), y = key(b);
        const d = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
        return asc ? d : -d;});
      rows.forEach(function(r){body.appendChild(r);});
    };
    th.addEventListener('click', go);
    th.addEventListener('keydown', function(e){if(e.key === 'Enter'){go();}});
  });
});
document.body.dataset.sortReady = '1';
})();
"""
