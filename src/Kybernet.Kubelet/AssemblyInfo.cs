// The kubelet's components live in folders: Cri/ (the runtime client), Runtime/ (containerd as a process),
// Images/ (the images Kybernet builds), Node/ (registration, Lease, status), Pods/ (workers, volumes, probes).
