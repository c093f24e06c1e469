package dev.cmcp.verify.evidence.tdx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TD report body's fields, lower-case hex, typed; {@link #toMap} is the same as the report's
 * {@code fields}. {@code tdAttributes}, {@code xfam} and {@code teeTcbSvn} are the raw
 * little-endian bytes as the quote carries them.
 */
public record TdFields(
    String teeTcbSvn,
    String mrSeam,
    String mrSignerSeam,
    String seamAttributes,
    String tdAttributes,
    String xfam,
    String mrTd,
    String mrConfigId,
    String mrOwner,
    String mrOwnerConfig,
    List<String> rtmrs,
    String reportData,
    boolean debug) {

  public TdFields {
    rtmrs = List.copyOf(rtmrs);
  }

  /** These fields as text, as reports print them: {@code mrtd}, {@code rtmr0}..., {@code report_data}, ... */
  Map<String, String> toMap() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("mrtd", mrTd);
    for (int i = 0; i < rtmrs.size(); i++) {
      values.put("rtmr" + i, rtmrs.get(i));
    }
    values.put("report_data", reportData);
    values.put("td_attributes", tdAttributes);
    values.put("debug", Boolean.toString(debug));
    values.put("tee_tcb_svn", teeTcbSvn);
    values.put("xfam", xfam);
    values.put("mrseam", mrSeam);
    values.put("mrsignerseam", mrSignerSeam);
    values.put("seam_attributes", seamAttributes);
    values.put("mrconfigid", mrConfigId);
    values.put("mrowner", mrOwner);
    values.put("mrownerconfig", mrOwnerConfig);
    return values;
  }
}
