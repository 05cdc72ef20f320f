export { loadInventory, type LoadOptions } from './load.js';
export type { Group, Host, Inventory, Vars } from './types.js';
