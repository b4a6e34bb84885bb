// compile_cpp.cpp -- the header (with its implementation) compiled as C++11,
// linked and run: the official v2 vector and a parse, from C++.
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include <cstdio>
#include <cstring>

int main() {
  char body[] =
      "<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id>"
      "<device_info>1000</device_info><body>test</body>"
      "<nonce_str>ibuaiVcKdpRxkhJA</nonce_str></xml>";
  wxpay_fields f;
  wxpay_client cli;
  char sign[65];
  std::memset(&cli, 0, sizeof cli);
  cli.api_key = "192006250b4c09247ec02edce69f6a2d";
  if (wxpay_xml_read(body, std::strlen(body), &f, NULL) != WXPAY_OK) return 1;
  if (wxpay_sign_fields(&cli, &f, sign) != WXPAY_OK) return 1;
  if (std::strcmp(sign, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6") != 0) {
    std::printf("FAIL C++ sign %s\n", sign);
    return 1;
  }
  return 0;
}
