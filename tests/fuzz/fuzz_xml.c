/* fuzz_xml.c -- the flat-XML reader alone, wxpay_xml_read().

   The input is the body, copied to an exact-size heap buffer (no NUL after
   it) so that AddressSanitizer flags any read or write outside it.
   Properties:
     - the verdict is OK or one of the XML/UTF8 errors; error_offset <= len;
       on error the field list is empty;
     - on OK the packed list lies inside the buffer, names are XML names and
       unique, values are valid XML text, count <= WXPAY_MAX_FIELDS, and the
       iterator and lookup agree with a hand walk;
     - on OK the fields re-serialise, in every style of the reference writer
       (entities, CDATA, per-character pieces, noise), to bodies that parse
       back to exactly the same fields; the canonical form is a fixed point;
     - the verdict does not depend on the buffer's address (a second copy
       gives the same error at the same offset). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"

static size_t fz_read_kv(fz_buf *body, fz_kv *kv, char **keep) {
  wxpay_fields f;
  size_t off = 0, n;
  char *b = fz_dup(body->p, body->n);
  wxpay_err e = wxpay_xml_read(b, body->n, &f, &off);
  if (e != WXPAY_OK) {
    fprintf(stderr, "re-serialised body refused: %s at %lu\n%.*s\n", wxpay_err_name(e),
            (unsigned long)off, (int)body->n, body->p);
    fz_fail("a re-serialised body parses", wxpay_err_name(e), __LINE__);
  }
  n = fz_walk(&f, b, b + body->n, kv, FZ_MAX_KV);
  *keep = b;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wxpay_fields f, f2;
  fz_kv kv[FZ_MAX_KV], kv2[FZ_MAX_KV];
  size_t off = 0, off2 = 0, n, n2;
  char *body = fz_dup(data, size), *body2 = fz_dup(data, size), *keep;
  unsigned salt = fz_salt(data, size);
  wxpay_err e = wxpay_xml_read(body, size, &f, &off);
  wxpay_err e2 = wxpay_xml_read(body2, size, NULL, &off2);
  int style;
  fz_buf out = {NULL, 0, 0}, canon = {NULL, 0, 0};

  FZ_CHECK(e2 == WXPAY_ERR_ARG, "no field list is an argument error");
  e2 = wxpay_xml_read(body2, size, &f2, &off2); /* another address */
  FZ_CHECK(e == e2 && off == off2 && f.count == f2.count, "the verdict is deterministic");
  free(body2);

  FZ_CHECK((unsigned)e < (unsigned)WXPAY_ERR_COUNT, "a known error code");
  FZ_CHECK(e == WXPAY_OK || fz_is_xml_err(e), "only XML/UTF8 errors from the reader");
  FZ_CHECK(off <= size, "error_offset inside the body");
  if (e != WXPAY_OK) {
    FZ_CHECK(f.count == 0 && f.data && f.data[0] == '\0', "no fields after an error");
    free(body);
    return 0;
  }
  FZ_CHECK(size > 0, "an empty body is refused");
  FZ_CHECK(off == 0, "error_offset is 0 on success");
  FZ_CHECK(f.data == body, "the list is packed at the start of the buffer");
  n = fz_walk(&f, body, body + size, kv, FZ_MAX_KV);
  FZ_CHECK(n <= WXPAY_MAX_FIELDS, "at most WXPAY_MAX_FIELDS fields");

  for (style = 0; style < FZ_XML_STYLES; style++) {
    fz_xml(&out, kv, n, style, salt);
    n2 = fz_read_kv(&out, kv2, &keep);
    FZ_CHECK(fz_kv_equal(kv, n, kv2, n2), "re-serialised fields parse back the same");
    free(keep);
  }
  /* canonical form (entities) is a fixed point */
  fz_xml(&canon, kv, n, FZ_XML_ENTITIES, 0);
  n2 = fz_read_kv(&canon, kv2, &keep);
  fz_xml(&out, kv2, n2, FZ_XML_ENTITIES, 0);
  FZ_CHECK(out.n == canon.n && memcmp(out.p, canon.p, out.n) == 0,
           "the canonical form is a fixed point");
  free(keep);
  fz_free(&out);
  fz_free(&canon);
  free(body);
  return 0;
}
