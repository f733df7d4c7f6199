import ArgumentParser

Correo.main()
