"""The replay function: failed records tried again, from the failed-records queue and by hand."""

from severa_netvisor.replay import make_replay_handler

lambda_handler = make_replay_handler()
