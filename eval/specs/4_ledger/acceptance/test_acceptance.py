from datetime import date
from decimal import Decimal

import pytest

from ledger.account import Account
from ledger.bank import Bank
from ledger.money import to_money
from ledger.statement import statement

D = date(2024, 1, 15)


def test_to_money():
    assert to_money("1.005") == Decimal("1.01") and to_money(3) == Decimal("3.00")
    with pytest.raises(ValueError):
        to_money("ten")


def test_deposit_withdraw_balance():
    acc = Account("ann", "A1")
    assert acc.balance() == Decimal("0.00")
    acc.deposit("10", D)
    acc.withdraw("2.5", D, "coffee")
    assert acc.balance() == Decimal("7.50")


def test_bad_amounts_and_overdraft_change_nothing():
    acc = Account("ann", "A1")
    acc.deposit(5, D)
    for bad in (0, -1):
        with pytest.raises(ValueError):
            acc.deposit(bad, D)
    with pytest.raises(ValueError):
        acc.withdraw(6, D)
    assert acc.balance() == Decimal("5.00") and len(acc.transactions()) == 1


def test_transactions_record_running_balance():
    acc = Account("ann", "A1")
    acc.deposit(10, D, "pay")
    acc.withdraw(3, D, "food")
    t = acc.transactions()
    assert [(x.amount, x.balance, x.memo) for x in t] == [(Decimal("10.00"), Decimal("10.00"), "pay"),
                                                          (Decimal("-3.00"), Decimal("7.00"), "food")]


def test_bank_numbers_and_get():
    bank = Bank()
    a, b = bank.open("ann"), bank.open("bob")
    assert (a.number, b.number) == ("ACC-0001", "ACC-0002") and bank.get("ACC-0002") is b
    with pytest.raises(KeyError):
        bank.get("ACC-9999")


def test_transfer_is_all_or_nothing():
    bank = Bank()
    a, b = bank.open("ann"), bank.open("bob")
    a.deposit(10, D)
    bank.transfer("ACC-0001", "ACC-0002", 4, D)
    assert (a.balance(), b.balance()) == (Decimal("6.00"), Decimal("4.00"))
    assert a.transactions()[-1].memo == "transfer to ACC-0002" and b.transactions()[-1].memo == "transfer from ACC-0001"
    with pytest.raises(ValueError):
        bank.transfer("ACC-0001", "ACC-0002", 100, D)
    assert (a.balance(), b.balance()) == (Decimal("6.00"), Decimal("4.00"))


def test_statement():
    acc = Account("ann", "ACC-0001")
    acc.deposit(100, date(2024, 1, 1), "opening")
    acc.withdraw("2.5", date(2024, 2, 3), "tea")
    acc.deposit(10, date(2024, 2, 20), "gift")
    acc.deposit(1, date(2024, 3, 1), "later")
    lines = statement(acc, date(2024, 2, 1), date(2024, 2, 29))
    assert lines == ["Statement for ann (ACC-0001) 2024-02-01 to 2024-02-29",
                     "Opening balance: 100.00",
                     "2024-02-03  -2.50  tea",
                     "2024-02-20  +10.00  gift",
                     "Closing balance: 107.50"]


def test_monthly_interest():
    acc = Account("ann", "A1")
    assert acc.monthly_interest(Decimal("0.12"), D) == Decimal("0.00") and acc.transactions() == []
    acc.deposit(1000, D)
    assert acc.monthly_interest(Decimal("0.05"), D) == Decimal("4.17")
    assert acc.transactions()[-1].memo == "interest" and acc.balance() == Decimal("1004.17")
