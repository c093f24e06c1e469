package dev.cmcp.verify.evidence.tdx;

/**
 * TDX evidence or collateral that cannot be read. The message names the file or the quote field
 * and what was expected ({@code quote truncated: td_report.mrtd needs 48 bytes at offset 136 ...}).
 */
public final class TdxException extends Exception {
  private static final long serialVersionUID = 1L;

  public TdxException(String message) {
    super(message);
  }
}
