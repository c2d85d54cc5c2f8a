#!/usr/bin/env bash
# Installs the Debian packages Kybernet needs (tests and binary), only those missing, so a
# machine that already has them never touches apt (fast, and works offline).
# Used by ./test and ./kybernet; can also be run on its own.
set -euo pipefail

# Package -> why: iproute2 (ip), nftables (nft), util-linux (nsenter, flock), iputils-ping (ping),
# etcd-server/etcd-client (cluster store), iperf3 (throughput checks), procps (pgrep, ps),
# containernetworking-plugins (the reference CNI plugins, only as the peer our plugins are compared
# with), gcc + zlib1g-dev (the NativeAOT linker), time (peak memory in benchmarks), containerd + runc +
# crun (the container runtime the kubelet drives through CRI), busybox-static (the busybox image's contents),
# tmux + curl (the lab tests drive `kubectl exec -it` in a terminal they resize, and call HTTP endpoints).
KYBERNET_PACKAGES=(iproute2 nftables util-linux iputils-ping etcd-server etcd-client iperf3 procps
    containernetworking-plugins gcc zlib1g-dev time containerd runc crun busybox-static tmux curl)

missing=()
for pkg in "${KYBERNET_PACKAGES[@]}"; do
    # dpkg-query exits non-zero for unknown packages; "install ok installed" is the only good state.
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} > 0)); then
    if ((EUID != 0)); then
        echo "prereqs: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
    fi
    echo "prereqs: installing ${missing[*]}" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# The SDK is not a Debian package (not in Debian 12's archive), so it can only be checked.
if ! command -v dotnet >/dev/null; then
    echo "prereqs: the .NET 10 SDK (dotnet) is not on PATH; install it first" >&2
    exit 1
fi
