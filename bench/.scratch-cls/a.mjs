import model from 'wink-eng-lite-web-model';
console.log(Object.keys(model), model.addons && Object.keys(model.addons));
console.log(model.addons.stem('subscriptions'), model.addons.stem('running'));
