export { bundleDashboard, type DashboardAsset, type DashboardAssets } from './bundle-dashboard.js';
