print("crosspex analysis tests never run this")
