module kubeadm-ha.local/lab-artifacts

go 1.22
