#!/usr/bin/python3
"""Exploration prototype (numpy/scipy/scikit-learn, Debian python3-sklearn) used to choose the
pooling statistic and window before the Go implementation; not runtime code. It re-implements
the log-mel front end (periodic Hann, n_fft 1024, hop 512, Slaney mel, 10*log10(mel+eps)) and
prints AUC/pAUC of sklearn LedoitWolf/OAS Mahalanobis, diagonal GMMs and kNN for clip-level
mean / max / mean+max pooling. The dcase2020 rows use the same hold-out as core/eval
(fit on the first 50 normals). Usage: /usr/bin/python3 prototype_features.py"""
import numpy as np, scipy.io.wavfile as wf, csv, os
DATA=os.environ.get('SIGNALCRAFT_DATA', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../../shared/data'))
def hz2mel(f):
    f=np.asarray(f,float); fsp=200/3; mel=f/fsp; minlog=1000; minlogmel=minlog/fsp; ls=np.log(6.4)/27
    return np.where(f>=minlog, minlogmel+np.log(np.maximum(f,1e-10)/minlog)/ls, mel)
def mel2hz(m):
    m=np.asarray(m,float); fsp=200/3; f=fsp*m; minlog=1000; minlogmel=minlog/fsp; ls=np.log(6.4)/27
    return np.where(m>=minlogmel, minlog*np.exp(ls*(m-minlogmel)), f)
def melfb(sr,nfft,nm,fmin=0,fmax=None):
    fmax=fmax or sr/2
    fft=np.linspace(0,sr/2,nfft//2+1); mp=mel2hz(np.linspace(hz2mel(fmin),hz2mel(fmax),nm+2))
    fd=np.diff(mp); ramps=mp[:,None]-fft[None,:]
    W=np.zeros((nm,len(fft)))
    for i in range(nm):
        lo=-ramps[i]/fd[i]; hi=ramps[i+2]/fd[i+1]; W[i]=np.maximum(0,np.minimum(lo,hi))
    W*= (2.0/(mp[2:nm+2]-mp[:nm]))[:,None]
    return W
def frames(x,n,h):
    nf=1+(len(x)-n)//h
    idx=np.arange(n)[None,:]+h*np.arange(nf)[:,None]
    return x[idx]
def logmel(x,sr,nfft=1024,hop=512,nm=128):
    F=frames(x,nfft,hop)*np.hanning(nfft+1)[:-1]  # periodic Hann
    P=np.abs(np.fft.rfft(F,axis=1))**2
    M=P@melfb(sr,nfft,nm).T
    return 10*np.log10(M+1e-10), P
def load_dcase(D):
    rows=list(csv.DictReader(open(os.path.join(D,'labels.csv'))))
    out=[]
    for r in rows:
        sr,x=wf.read(os.path.join(D,r['file'])); x=x.astype(np.float64)/32768
        out.append((r,sr,x))
    return out
from sklearn.covariance import LedoitWolf, OAS
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def pool(L,mode):
    return np.concatenate([{'mean':L.mean(0),'std':L.std(0),'max':L.max(0)}[m] for m in mode])
for DD in [os.path.join(DATA,'dcase2022-valve-sec00-source'), os.path.join(DATA,'dcase2020-id00')]:
  data=load_dcase(DD)
  for nm in [64,128]:
    Ls=[(r,logmel(x,sr,nm=nm)[0]) for r,sr,x in data]
    for mode in [('max',),('mean','max'),('mean',)]:
      F=[(r,pool(L,mode)) for r,L in Ls]
      if 'valve' in DD:
        fit=[v for r,v in F if r['suggested_split']=='dev-fit']; test=[(r['label']=='anomaly',v) for r,v in F if r['suggested_split']=='dev-test']
      else:
        nor=[v for r,v in F if r['label']=='normal']; fit=nor[:50]; test=[(False,v) for v in nor[50:]]+[(True,v) for r,v in F if r['label']=='anomaly']
      X=np.array(fit); mu=X.mean(0); sd=X.std(0)+1e-9; Xs=(X-mu)/sd
      Z=np.array([(v-mu)/sd for l,v in test]); y=np.array([l for l,v in test])
      res={}
      for name,est in [('lw',LedoitWolf()),('oas',OAS())]:
        est.fit(Xs); res[name]=np.sqrt(est.mahalanobis(Z))
      for k in [1,2,4]:
        g=GaussianMixture(k,covariance_type='diag',reg_covar=1e-3,random_state=0).fit(Xs); res['gmm%d'%k]=-g.score_samples(Z)
      d=((Z[:,None]-Xs[None])**2).sum(2); res['knn1']=np.sqrt(d.min(1)); res['knn3']=np.sqrt(np.sort(d,1)[:,:3]).mean(1)
      print(os.path.basename(DD),nm,'+'.join(mode),' '.join('%s=%.3f/%.3f'%(k,roc_auc_score(y,v),roc_auc_score(y,v,max_fpr=0.1)) for k,v in res.items()),flush=True)
