import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import fs from 'node:fs';
const d = JSON.parse(fs.readFileSync('/work/shared/data/clinc150/data_full.json','utf8'));
const texts = d.test.map(x=>x[0]);
for (const pipe of [[], ['negation'], ['sbd','negation'], ['sbd','negation','sentiment','ner']]) {
  const t0=performance.now();
  const nlp = winkNLP(model, pipe);
  const its = nlp.its;
  const t1=performance.now();
  let n=0;
  for (const t of texts) { const doc = nlp.readDoc(t); const toks = doc.tokens().out(its.normal); n+=toks.length; }
  const t2=performance.now();
  for (const t of texts) { const doc = nlp.readDoc(t); const toks = doc.tokens().out(its.stem); n+=toks.length; }
  const t3=performance.now();
  for (const t of texts) { const doc = nlp.readDoc(t); const toks = doc.tokens().out(its.lemma); n+=toks.length; }
  const t4=performance.now();
  console.log(pipe.join(','), 'load', (t1-t0).toFixed(0), 'normal/s', (texts.length/(t2-t1)*1000).toFixed(0), 'stem/s', (texts.length/(t3-t2)*1000).toFixed(0),'lemma/s', (texts.length/(t4-t3)*1000).toFixed(0));
}
const nlp = winkNLP(model, ['negation']);
const its = nlp.its;
const doc = nlp.readDoc("I don't want to cancel my Subscription, it isn't working!! Email me at a@b.com on Friday 3pm");
console.log(doc.tokens().out(its.normal), doc.tokens().out(its.negationFlag), doc.tokens().out(its.stem), doc.tokens().out(its.lemma), doc.tokens().out(its.type));
const nlp2 = winkNLP(model, ['sbd','negation','sentiment','ner']);
const d2 = nlp2.readDoc("I can't believe it's broken again, terrible. Call me tomorrow at 3pm on +1 555 123 4567 or a@b.com, budget $5,000 for 2 weeks, see https://x.com");
console.log(d2.entities().out(nlp2.its.detail), d2.out(nlp2.its.sentiment));
console.log(typeof nlp.learnCustomEntities, Object.keys(nlp));
