/* >>xml reader: what it accepts, what it refuses and with which error. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include <stdlib.h>

static char buf[1 << 18];
static wxpay_fields f;
static size_t at;

static wxpay_err rd(const char *xml) {
  size_t n = strlen(xml);
  memcpy(buf, xml, n);
  return wxpay_xml_read(buf, n, &f, &at);
}

static wxpay_err rdn(const char *xml, size_t n) {
  memcpy(buf, xml, n);
  return wxpay_xml_read(buf, n, &f, &at);
}

static const char *get(const char *name) {
  const char *v = wxpay_fields_get(&f, name);
  return v ? v : "(absent)";
}

static void reader_decodes_cdata_entities_and_char_refs(void) {
  CHECK_ERR(rd("<xml><a><![CDATA[x<y>&z]]></a><b>1 &lt; 2 &amp;&amp; &quot;q&quot; &apos;</b>"
               "<c>&#20013;&#x6587;&#x1F600;</c><d/><e></e><f><![CDATA[p]]]]><![CDATA[>q]]></f></xml>"),
            WXPAY_OK);
  CHECK(f.count == 6);
  CHECK(!strcmp(get("a"), "x<y>&z"));
  CHECK(!strcmp(get("b"), "1 < 2 && \"q\" '"));
  CHECK(!strcmp(get("c"), "\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x98\x80"));
  CHECK(!strcmp(get("d"), "") && !strcmp(get("e"), ""));
  CHECK(!strcmp(get("f"), "p]]>q"));
  CHECK(wxpay_fields_get(&f, "g") == NULL);
}

static void reader_allows_declaration_bom_comments_and_whitespace(void) {
  CHECK_ERR(rd("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- hi -->\n"
               "<xml >\r\n\t<a>1</a> <!-- between -->\n<b>x<!-- inside -->y</b>\n</xml >\n<!-- end -->\n"),
            WXPAY_OK);
  CHECK(f.count == 2 && !strcmp(get("a"), "1") && !strcmp(get("b"), "xy"));
}

static void reader_keeps_document_order_and_iterates(void) {
  const char *cur = NULL, *n, *v;
  int k = 0;
  CHECK_ERR(rd("<xml><z>1</z><a>2</a><m>3</m></xml>"), WXPAY_OK);
  while (wxpay_fields_next(&f, &cur, &n, &v)) {
    CHECK(!strcmp(n, k == 0 ? "z" : k == 1 ? "a" : "m"));
    CHECK(v[0] == '1' + k);
    k++;
  }
  CHECK(k == 3);
}

static void reader_refuses_dtd_entities_and_processing_instructions(void) {
  CHECK_ERR(rd("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>"),
            WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><xml/>"),
            WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><!DOCTYPE x><a>1</a></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><a><!DOCTYPE x>1</a></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><a>1</a></xml><!DOCTYPE x>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><!ENTITY % p SYSTEM \"http://x/\"></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><a>&xxe;</a></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><a>1</a><?php x ?></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<?xml-stylesheet href=\"a\"?><xml/>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml/><?xml version=\"1.0\"?>"), WXPAY_ERR_XML_FORBIDDEN);
}

static void reader_refuses_nesting_and_attributes(void) {
  CHECK_ERR(rd("<xml><a><b>1</b></a></xml>"), WXPAY_ERR_XML_NESTED);
  CHECK_ERR(rd("<xml><a x=\"1\">1</a></xml>"), WXPAY_ERR_XML_NESTED);
  CHECK_ERR(rd("<xml xmlns=\"urn:x\"><a>1</a></xml>"), WXPAY_ERR_XML_NESTED);
  CHECK_ERR(rd("<xml><ns:a>1</ns:a></xml>"), WXPAY_ERR_XML);
}

static void reader_refuses_duplicate_fields(void) {
  CHECK_ERR(rd("<xml><sign>A</sign><b>1</b><sign>B</sign></xml>"), WXPAY_ERR_XML_DUPLICATE);
  CHECK_ERR(rd("<xml><return_code>FAIL</return_code><return_code>SUCCESS</return_code></xml>"),
            WXPAY_ERR_XML_DUPLICATE);
}

static void reader_refuses_malformed_documents(void) {
  CHECK_ERR(rd(""), WXPAY_ERR_XML);
  CHECK_ERR(rd("   "), WXPAY_ERR_XML);
  CHECK_ERR(rd("not xml"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<root><a>1</a></root>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xmlx><a>1</a></xmlx>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1</b></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1</ab></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a><![CDATA[1</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1<!-- x</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><!-- a -- b --><a>1</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><!-- a ---><a>1</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><!----><a>1</a></xml>"), WXPAY_OK);
  CHECK_ERR(rd("<xml><a>1</a"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1</a>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml>text<a>1</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><![CDATA[x]]><a>1</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1</a></xml>trailing"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>1</a></xml><xml/>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>x]]>y</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#0;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#xD800;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#x110000;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#99999999999999999999;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&#x1g;</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>&amp</a></xml>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK_ERR(rd("<xml><1a>1</1a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rd("<xml><a>\x01</a></xml>"), WXPAY_ERR_XML);
  CHECK_ERR(rdn("<xml><a>1\0</a></xml>", 19), WXPAY_ERR_XML);
  CHECK(at == 9);
}

static void reader_refuses_invalid_utf8(void) {
  CHECK_ERR(rd("<xml><a>\xc0\xaf</a></xml>"), WXPAY_ERR_UTF8);       /* overlong '/' */
  CHECK_ERR(rd("<xml><a>\xe0\x80\xaf</a></xml>"), WXPAY_ERR_UTF8);   /* overlong */
  CHECK_ERR(rd("<xml><a>\xed\xa0\x80</a></xml>"), WXPAY_ERR_UTF8);   /* surrogate */
  CHECK_ERR(rd("<xml><a>\xff</a></xml>"), WXPAY_ERR_UTF8);
  CHECK_ERR(rd("<xml><a>\xe4\xb8</a></xml>"), WXPAY_ERR_UTF8);       /* cut */
  CHECK_ERR(rd("<xml><a>\xef\xbf\xbe</a></xml>"), WXPAY_ERR_UTF8);   /* U+FFFE */
  CHECK(at == 8);
}

static void reader_caps_the_number_of_fields(void) {
  char *p = buf;
  int i;
  for (i = 0; i <= 10000; i++) {
    if (i == WXPAY_MAX_FIELDS) {
      size_t n = (size_t)(p - buf);
      memcpy(p, "</xml>", 6);
      CHECK_ERR(wxpay_xml_read(buf, n + 6, &f, &at), WXPAY_OK);
      CHECK(f.count == WXPAY_MAX_FIELDS);
      p = buf + n; /* rebuild: the read decoded in place */
      break;
    }
    p += sprintf(p, i ? "<f%d>v</f%d>" : "<xml><f%d>v</f%d>", i, i);
  }
  {
    char *q = buf;
    for (i = 0; i < 10000; i++) q += sprintf(q, i ? "<f%d>v</f%d>" : "<xml><f%d>v</f%d>", i, i);
    q += sprintf(q, "</xml>");
    CHECK_ERR(wxpay_xml_read(buf, (size_t)(q - buf), &f, &at), WXPAY_ERR_XML_LIMIT);
  }
}

static void reader_rejects_every_truncation_of_a_valid_body(void) {
  static const char body[] = "<?xml version=\"1.0\"?><xml><a><![CDATA[x]]></a><b>&amp;</b><c/></xml>";
  size_t n;
  for (n = 0; n < sizeof body - 1; n++) {
    char *copy = (char *)malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(copy, body, n);
    CHECK(wxpay_xml_read(copy, n, &f, &at) != WXPAY_OK);
    CHECK(at <= n);
    free(copy);
  }
}

static void reader_handles_a_one_mebibyte_value(void) {
  size_t n = 0, big = 1 << 20;
  char *b = (char *)malloc(big + 64);
  memcpy(b, "<xml><v>", 8);
  n = 8;
  memset(b + n, 'q', big);
  n += big;
  memcpy(b + n, "</v></xml>", 10);
  n += 10;
  CHECK_ERR(wxpay_xml_read(b, n, &f, &at), WXPAY_OK);
  CHECK(strlen(wxpay_fields_get(&f, "v")) == big);
  free(b);
}

static void reader_rejects_null_arguments(void) {
  CHECK_ERR(wxpay_xml_read(NULL, 5, &f, &at), WXPAY_ERR_ARG);
  CHECK_ERR(wxpay_xml_read(NULL, 0, &f, &at), WXPAY_ERR_XML);
  CHECK_ERR(wxpay_xml_read(buf, 5, NULL, &at), WXPAY_ERR_ARG);
}

int main(void) {
  RUN(reader_decodes_cdata_entities_and_char_refs);
  RUN(reader_allows_declaration_bom_comments_and_whitespace);
  RUN(reader_keeps_document_order_and_iterates);
  RUN(reader_refuses_dtd_entities_and_processing_instructions);
  RUN(reader_refuses_nesting_and_attributes);
  RUN(reader_refuses_duplicate_fields);
  RUN(reader_refuses_malformed_documents);
  RUN(reader_refuses_invalid_utf8);
  RUN(reader_caps_the_number_of_fields);
  RUN(reader_rejects_every_truncation_of_a_valid_body);
  RUN(reader_handles_a_one_mebibyte_value);
  RUN(reader_rejects_null_arguments);
  return t_total_failed ? 1 : 0;
}
