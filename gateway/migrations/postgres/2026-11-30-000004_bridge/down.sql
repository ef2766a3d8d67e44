DROP TABLE bridge_state;
DROP TABLE crls;
DROP TABLE trust_lists;
