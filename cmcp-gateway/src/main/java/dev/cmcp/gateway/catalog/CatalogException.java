package dev.cmcp.gateway.catalog;

/**
 * catalog.json is missing or wrong. The message is the whole text shown to the user: the file, the
 * JSON path of the problem and what to change.
 */
public final class CatalogException extends Exception {
  private static final long serialVersionUID = 1L;

  public CatalogException(String message) {
    super(message);
  }
}
