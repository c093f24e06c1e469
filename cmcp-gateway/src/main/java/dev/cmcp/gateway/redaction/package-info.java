/**
 * Redaction of upstream answers: the obligation a permit's {@code @redact} and {@code
 * @redact_pattern} annotations put on an allow ({@link dev.cmcp.gateway.redaction.Redaction}),
 * the built-in detectors ({@link dev.cmcp.gateway.redaction.Detector}), and the redactor that
 * carries it out on a JSON-RPC response and reports where, never what ({@link
 * dev.cmcp.gateway.redaction.ResponseRedactor}, {@link dev.cmcp.gateway.redaction.RedactionReport}).
 * The rules are in docs/SPEC.md, Redaction.
 */
package dev.cmcp.gateway.redaction;
