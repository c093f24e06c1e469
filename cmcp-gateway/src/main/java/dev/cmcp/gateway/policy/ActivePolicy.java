package dev.cmcp.gateway.policy;

/**
 * The bundle that decides and the engine built from it, swapped together on a reload so that a
 * request decided by one engine is never audited under another bundle's hash.
 */
public record ActivePolicy(PolicyBundle bundle, PolicyEngine engine) {}
