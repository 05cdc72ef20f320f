import { posix } from 'node:path';
import { Command, sh } from '../shell/quote.js';

/**
 * A guarded change whose host restarts inside its confirmation window must not
 * boot with the unconfirmed configuration (the rollback timer is a transient
 * unit: a reboot forgets it). Every guarded change leaves `.unconfirmed` and a
 * `boot-rollback` script in its backup directory until it is confirmed or
 * rolled back; this oneshot unit, ordered before the network and the units
 * that load network or firewall configuration, runs the boot-rollback of
 * every change still unconfirmed at boot.
 */
export const BOOT_ROLLBACK_UNIT = 'labwright-rollback.service';
const UNIT_PATH = `/etc/systemd/system/${BOOT_ROLLBACK_UNIT}`;

export const UNCONFIRMED = '.unconfirmed';
export const BOOT_SCRIPT = 'boot-rollback';

export function bootRollbackScriptPath(stateDir: string): string {
  return posix.join(stateDir, 'rollback-at-boot');
}

/** The script the unit runs: each unconfirmed change's own boot-rollback. */
export function bootRollbackScript(stateDir: string): string {
  const root = posix.join(stateDir, 'rollback');
  return `#!/bin/sh
# Managed by labwright: rolls back, at boot, every guarded change that was not confirmed.
for m in ${sh`${root}`.text}/*/${UNCONFIRMED}; do
  [ -e "$m" ] || continue
  d=\${m%/${UNCONFIRMED}}
  echo "labwright: the change in $d was not confirmed before the restart: rolling it back"
  sh "$d/${BOOT_SCRIPT}" || echo "labwright: rolling back $d failed"
done
exit 0
`;
}

export function bootRollbackUnit(stateDir: string): string {
  return `# Managed by labwright: rolls back guarded changes left unconfirmed by a restart.
[Unit]
Description=labwright: roll back unconfirmed changes before the network comes up
DefaultDependencies=no
After=local-fs.target
Wants=network-pre.target
Before=sysinit.target network-pre.target systemd-networkd.service nftables.service labwright-firewall.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
ExecStart=/bin/sh ${bootRollbackScriptPath(stateDir)}

[Install]
WantedBy=sysinit.target
`;
}

/**
 * Installs the script and the unit (each written to a temporary file and moved
 * into place only when it differs) and enables the unit; idempotent.
 */
export function installBootRollback(stateDir: string): Command {
  const script = bootRollbackScriptPath(stateDir);
  return sh`mkdir -p ${stateDir} && printf '%s' ${bootRollbackScript(stateDir)} > ${`${script}.tmp`} && { cmp -s ${`${script}.tmp`} ${script} && rm -f ${`${script}.tmp`} || mv -f ${`${script}.tmp`} ${script}; } && printf '%s' ${bootRollbackUnit(stateDir)} > ${`${UNIT_PATH}.tmp`} && if cmp -s ${`${UNIT_PATH}.tmp`} ${UNIT_PATH}; then rm -f ${`${UNIT_PATH}.tmp`}; else mv -f ${`${UNIT_PATH}.tmp`} ${UNIT_PATH} && systemctl daemon-reload; fi && { systemctl is-enabled --quiet ${BOOT_ROLLBACK_UNIT} || systemctl enable --quiet ${BOOT_ROLLBACK_UNIT}; }`;
}
