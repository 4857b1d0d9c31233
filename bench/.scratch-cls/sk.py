import json,time
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
d=json.load(open('/work/shared/data/clinc150/data_full.json'))
X=[t for t,_ in d['train']]; y=[l for _,l in d['train']]
t0=time.time(); v=TfidfVectorizer(ngram_range=(1,2),sublinear_tf=True); A=v.fit_transform(X); m=LinearSVC(C=1).fit(A,y); t1=time.time()
Xt=[t for t,_ in d['test']]; yt=[l for _,l in d['test']]
t2=time.time(); p=m.predict(v.transform(Xt)); t3=time.time()
print('acc',sum(a==b for a,b in zip(p,yt))/len(yt),'train',t1-t0,'pred/s',len(Xt)/(t3-t2), A.shape)
