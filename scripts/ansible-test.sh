#!/usr/bin/env bash
# Tests ansible/ without deploying: ansible-lint (production profile), --syntax-check of the
# playbooks, and the configuration templates rendered with the example inventory and checked by the
# programs that read them: gateway.yml by the gateway's --config parser, admin.yml by the admin
# API's `check`, prometheus.yml by `promtool check config`. Installs ansible, ansible-lint and
# prometheus (promtool) with apt-get if missing; needs the built jars (gateway-node/target/gateway-node.jar, admin-api/target/rbdgw-admin.jar).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
need=()
command -v ansible-playbook >/dev/null || need+=(ansible)
command -v ansible-lint >/dev/null || need+=(ansible-lint)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd ansible
ansible-lint
ansible-playbook --syntax-check site.yml rolling-upgrade.yml

cat >"$work/render.yml" <<YML
- name: Render the configuration templates for gw-a with the example inventory
  hosts: gw-a.example.net
  connection: local
  gather_facts: false
  vars:
    rbdgw_admin_password_hash: "pbkdf2-sha256\$1000\$c2FsdA==\$aGFzaA=="
    rbdgw_admin_tls_keystore_password: "keystore-password"
  roles:
    - role: gateway
      when: false
    - role: admin_api
      when: false
    - role: prometheus
      when: false
    - role: zookeeper
      when: false
  tasks:
    - name: Render
      ansible.builtin.template:
        src: "$root/ansible/roles/{{ item.role }}/templates/{{ item.src }}"
        dest: "$work/{{ item.dest }}"
        mode: "0600"
      loop:
        - {role: gateway, src: gateway.yml.j2, dest: gateway.yml}
        - {role: admin_api, src: admin.yml.j2, dest: admin.yml}
        - {role: prometheus, src: prometheus.yml.j2, dest: prometheus.yml}
        - {role: zookeeper, src: zoo.cfg.j2, dest: zoo.cfg}
YML
ANSIBLE_ROLES_PATH="$root/ansible/roles" ansible-playbook -i inventory/example/hosts.yml "$work/render.yml" >"$work/render.out" \
  || { cat "$work/render.out" >&2; exit 1; }
cd "$root"

# the gateway accepts every key: --help parses the file's options (unknown keys and bad values fail)
java -jar gateway-node/target/gateway-node.jar run --config "$work/gateway.yml" --help >"$work/gw-help.txt" 2>&1 \
  || { cat "$work/gw-help.txt" "$work/gateway.yml" >&2; echo "ansible-test: FAIL: gateway.yml rejected" >&2; exit 1; }
grep -q '^name: "gw-a"' "$work/gateway.yml" && grep -q '"192.0.2.11:3260"' "$work/gateway.yml" \
  || { cat "$work/gateway.yml" >&2; echo "ansible-test: FAIL: gateway.yml lacks the inventory's values" >&2; exit 1; }
java -jar admin-api/target/rbdgw-admin.jar check "$work/admin.yml" >"$work/admin-check.txt" 2>&1 \
  || { cat "$work/admin-check.txt" >&2; echo "ansible-test: FAIL: admin.yml rejected" >&2; exit 1; }
promtool check config "$work/prometheus.yml" >/dev/null 2>&1 || {
  # the rule_files glob points at /etc/prometheus/rules: check the scrape part without it
  sed '/^rule_files:/,/^scrape_configs:/{/^scrape_configs:/!d}' "$work/prometheus.yml" >"$work/prometheus-norules.yml"
  promtool check config "$work/prometheus-norules.yml"
}
grep -q "10.0.0.11:9287" "$work/prometheus.yml" && grep -q "server.3=zk3.example.net:2888:3888" "$work/zoo.cfg" \
  || { echo "ansible-test: FAIL: prometheus.yml or zoo.cfg lacks the inventory's hosts" >&2; exit 1; }
echo "ansible-test: ok"
