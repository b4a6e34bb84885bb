/* put_order.h -- what a query read, printed the same way by both drivers
   (driver.c for APIv2, v3driver.c for APIv3) for their Python checkers:
   after a tab each, the order's strings, its state and sub-order count,
   then per sub-order its strings, state and the two amounts in fen. put
   prints one string (the drivers print it as hex). */
#ifndef CROSSCHECK_PUT_ORDER_H
#define CROSSCHECK_PUT_ORDER_H

static void put_strings(const char *const *v, size_t n, void (*put)(const char *)) {
  size_t k;
  for (k = 0; k < n; k++) {
    putchar('\t');
    put(v[k]);
  }
}

static void put_order(const wxpay_order *o, void (*put)(const char *)) {
  const char *top[7];
  size_t i;
  top[0] = o->combine_appid;
  top[1] = o->combine_mchid;
  top[2] = o->combine_out_trade_no;
  top[3] = o->combine_openid;
  top[4] = o->device_info;
  top[5] = o->trade_state;
  top[6] = o->trade_state_desc;
  put_strings(top, 7, put);
  printf("\t%d\t%lu", (int)o->state, (unsigned long)o->sub_order_count);
  for (i = 0; i < o->sub_order_count && i < o->sub_order_cap; i++) {
    const wxpay_query_sub_order *s = &o->sub_orders[i];
    const char *v[9];
    v[0] = s->mchid;
    v[1] = s->sub_mchid;
    v[2] = s->out_trade_no;
    v[3] = s->trade_state;
    v[4] = s->transaction_id;
    v[5] = s->trade_type;
    v[6] = s->currency;
    v[7] = s->success_time;
    v[8] = s->attach;
    put_strings(v, 9, put);
    printf("\t%d\t%lld\t%lld", (int)s->state, (long long)s->total_amount,
           (long long)s->payer_amount);
  }
}

#endif
